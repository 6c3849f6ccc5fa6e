"""New records repositories: the skeleton `saiken init` lays out and the fictional demo."""
