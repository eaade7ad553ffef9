/* operator.h — local operators of the API: bearer tokens (shown once,
 * stored only as SHA-256) and roles. auditor: read only; officer: also
 * opens and answers cases; supervisor: also proposes and accepts charters
 * and manages nothing else. Every API action is recorded with who and when. */
#ifndef PARLEY_OPERATOR_H
#define PARLEY_OPERATOR_H

#include "node/node.h"

#define OPERATOR_TOKEN_MAX 64

enum operator_need { NEED_READ, NEED_CASES, NEED_CHARTER };

/* Adds an operator and writes its new token into token (shown once). */
int operator_add(struct node *n, const char *name, const char *role,
		 char token[static OPERATOR_TOKEN_MAX], struct err *e);
/* The operator holding token: ERR_UNAUTHORIZED if none or revoked. */
int operator_auth(struct node *n, const char *token, struct store_operator *op,
		  struct err *e);
/* The same for a token known by its SHA-256 (a console session keeps
 * only that). */
int operator_auth_hash(struct node *n, const uint8_t hash[static 32], struct store_operator *op,
		       struct err *e);
/* 0 if op's role allows need, else ERR_FORBIDDEN naming the role. */
int operator_may(const struct store_operator *op, enum operator_need need, struct err *e);

#endif
