# The public form's check before sending, the status page and the French texts.
