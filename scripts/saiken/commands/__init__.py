"""One module per command (or group of subcommands); each is a thin layer over the library."""
