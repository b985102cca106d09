"""API tokens live in the service layer (triage/service/tokens.py); these names stay here for the CLI and the
tests that import them from the API."""

from triage.service.tokens import ROLES, Principal, authenticate, create_token, list_tokens, revoke, token_dict

__all__ = ["ROLES", "Principal", "authenticate", "create_token", "list_tokens", "revoke", "token_dict"]
