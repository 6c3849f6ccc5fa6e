from saiken.entry import main

raise SystemExit(main())
