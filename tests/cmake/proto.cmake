# Tests of proto: added here so that each part of the tree keeps its own list.
