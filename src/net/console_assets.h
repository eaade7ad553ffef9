/* console_assets.h — the operator console's static files (web/), built
 * into the binary by web/embed.py. */
#ifndef PARLEY_CONSOLE_ASSETS_H
#define PARLEY_CONSOLE_ASSETS_H

#include <stddef.h>

struct console_asset {
	const char *path;   /* URL path: "/", "/app.js", ... */
	const char *type;   /* Content-Type */
	const char *etag;   /* strong ETag, quoted */
	const unsigned char *data;
	size_t len;
};

/* Ends with a zeroed entry. */
extern const struct console_asset console_assets[];

#endif
