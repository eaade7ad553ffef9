/* fuzz_audit.c — libFuzzer harness for audit_load, the parser and checker
 * of audit bundles: any input is refused cleanly or checks out; a bundle
 * that checks out yields a node whose store verifies. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "node/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct node *n = NULL;
	struct err e = { 0 };

	if (audit_load((const char *)data, size, &n, NULL, NULL, &e) == 0) {
		if (!n || node_verify(n, NULL, &e) != 0) {
			fprintf(stderr, "a bundle that checked out does not verify: %s\n", e.msg);
			abort();
		}
		node_close(n);
	}
	return 0;
}
