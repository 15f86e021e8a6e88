# Updating a published listing: minor changes published as the next version
# at once, substantive ones through a committee round.
