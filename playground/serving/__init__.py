"""Serving many tabs: the play worker processes and the guarded file server."""
