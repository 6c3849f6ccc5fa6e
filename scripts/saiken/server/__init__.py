"""The records server: gitolite over OpenSSH, with access given and taken by policies/handlers.yaml.

    gitolite   the one place that runs gitolite and knows its files (rc, conf, keydir, LOCAL_CODE)
    access     gitolite's access rules and keys, generated from the active handlers (pure)
    scripts    the hooks and the VREF saiken puts into gitolite's LOCAL_CODE
    sync       after an accepted push: the rules and keys rewritten from the protected branch
    install    `saiken server setup`: gitolite, the records repository, its hooks, an import
    mirror     copies of every accepted push to the ward's second server
"""
