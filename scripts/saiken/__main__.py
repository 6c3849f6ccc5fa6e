from saiken.cli import main

raise SystemExit(main())
