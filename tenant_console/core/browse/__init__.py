"""Browsing a project's data: the model catalogue, filters, keyset paging, rows, details.

Everything here runs on a :class:`~tenant_console.core.session.Session` thread
(inside the session's scope), except :mod:`catalog`, which only reads model
metadata. None of it knows about Textual; the console and tests call it alike.
"""
