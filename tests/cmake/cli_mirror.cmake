# Tests of cli_mirror: added here so that each part of the tree keeps its own list.
