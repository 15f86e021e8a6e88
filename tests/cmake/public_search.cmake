# The directory's search, on publication and on the mirror's site.
