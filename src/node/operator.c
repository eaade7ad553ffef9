/* operator.c — operator tokens and roles. See operator.h. */
#include "node/operator.h"

#include <string.h>

#include <sodium.h>

#define TOKEN_PREFIX "parley_"

static int role_valid(const char *r)
{
	return strcmp(r, "officer") == 0 || strcmp(r, "supervisor") == 0 ||
	       strcmp(r, "auditor") == 0;
}

int operator_add(struct node *n, const char *name, const char *role,
		 char token[static OPERATOR_TOKEN_MAX], struct err *e)
{
	struct store_operator op;
	uint8_t raw[32], h[32];
	int rc;

	if (!envelope_name_valid(name, strlen(name)) || strlen(name) > 64)
		return err_set(e, ERR_INVALID, "operator name '%s': 1-64 of a-z 0-9 . -", name);
	if (!role_valid(role))
		return err_set(e, ERR_INVALID, "role '%s' is not one of officer, supervisor, auditor", role);
	memset(&op, 0, sizeof(op));
	snprintf(op.name, sizeof(op.name), "%s", name);
	snprintf(op.role, sizeof(op.role), "%s", role);
	op.created = n->now();
	randombytes_buf(raw, sizeof(raw));
	memcpy(token, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1);
	sodium_bin2base64(token + sizeof(TOKEN_PREFIX) - 1,
			  OPERATOR_TOKEN_MAX - (sizeof(TOKEN_PREFIX) - 1), raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	merkle_sha256(h, token, strlen(token));
	rc = store_operator_add(n->store, &op, h, e);
	if (rc < 0)
		sodium_memzero(token, OPERATOR_TOKEN_MAX);
	return rc;
}

int operator_auth(struct node *n, const char *token, struct store_operator *op,
		  struct err *e)
{
	uint8_t h[32];

	if (!token)
		return err_set(e, ERR_UNAUTHORIZED, "a bearer token (parley_...) is required");
	if (strncmp(token, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1) != 0 ||
	    strlen(token) >= OPERATOR_TOKEN_MAX)
		return err_set(e, ERR_UNAUTHORIZED,
			       "the token is not valid: not a parley_... token of at most %d characters",
			       OPERATOR_TOKEN_MAX - 1);
	merkle_sha256(h, token, strlen(token));
	return operator_auth_hash(n, h, op, e);
}

int operator_auth_hash(struct node *n, const uint8_t hash[static 32], struct store_operator *op,
		       struct err *e)
{
	struct err ignore;

	if (store_operator_by_token(n->store, hash, op, &ignore) < 0)
		return err_set(e, ERR_UNAUTHORIZED, "the token is not valid");
	if (op->revoked)
		return err_set(e, ERR_UNAUTHORIZED, "the token of operator %s was revoked", op->name);
	return 0;
}

int operator_may(const struct store_operator *op, enum operator_need need, struct err *e)
{
	int rank = strcmp(op->role, "supervisor") == 0 ? 2 : strcmp(op->role, "officer") == 0 ? 1 : 0;
	static const char *const what[] = { "read", "open or answer cases", "propose or accept charters" };

	if ((int)need <= rank)
		return 0;
	return err_set(e, ERR_FORBIDDEN, "operator %s is an %s and may not %s", op->name, op->role,
		       what[need]);
}
