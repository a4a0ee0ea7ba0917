"""Responses and answers: the one ingestion path (actions.do_submit_response)."""
