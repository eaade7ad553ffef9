/* reports.h — a node's report rendered for people and programs: the rows
 * of core/report.h per direction and period, or (reciprocity) the two
 * directions of each channel side by side; JSON, table, CSV or Markdown;
 * with a warning for each fork evidence held about a channel reported.
 * Requests attested by one side only (imported registers) are always shown
 * apart from proven ones. */
#ifndef PARLEY_REPORTS_H
#define PARLEY_REPORTS_H

#include <stdint.h>
#include <stdio.h>

#include "node/node.h"

struct reports_opts {
	const char *peer;      /* NULL: every peer */
	int by;                /* enum report_by */
	int64_t from, to;      /* [from, to) of the request's time; to 0: no end */
	const char *type;      /* NULL: every type */
	const char *format;    /* table json csv markdown */
	int reciprocity;       /* the two directions of each channel side by side */
	int64_t at;            /* overdue as of; 0: now */
};

/* The report as compact JSON (malloc'd), or NULL with e set. */
char *reports_json(struct node *n, const struct reports_opts *o, struct err *e);
/* Writes it in o->format to out; warnings about forks go into out, but
 * for CSV to warn (NULL: dropped), so that the CSV stays a table. */
int reports_print(struct node *n, const struct reports_opts *o, FILE *out, FILE *warn,
		  struct err *e);

#endif
