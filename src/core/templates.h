/* templates.h — the charter templates of charters/, built into the binary
 * (charters/embed.py generates the table). */
#ifndef PARLEY_TEMPLATES_H
#define PARLEY_TEMPLATES_H

struct charter_template {
	const char *name; /* file name without .json: "standard", "ping", ... */
	const char *json;
};

/* Ends with { NULL, NULL }. */
extern const struct charter_template charter_templates[];

#endif
