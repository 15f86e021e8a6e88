# The public page of a listing: what makes it trustworthy.
