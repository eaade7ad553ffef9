/* fsio.h — careful file I/O: bounded reads, secret files created
 * exclusively with mode 0600 and no symlink following, atomic replace. */
#ifndef PARLEY_FSIO_H
#define PARLEY_FSIO_H

#include <stddef.h>

#include "util/err.h"

/* Reads a whole regular file of at most max bytes into a malloc'd,
 * NUL-terminated *buf. Does not follow a symlink at the last component.
 * Returns 0, ERR_NOTFOUND, ERR_TOOBIG or ERR_IO. */
int fsio_read(const char *path, size_t max, char **buf, size_t *len,
	      struct err *e);
/* Creates path (which must not exist) with mode and writes data, then
 * fsyncs it: O_CREAT|O_EXCL|O_NOFOLLOW. On failure the file is removed.
 * Returns 0, ERR_EXISTS or ERR_IO. */
int fsio_create(const char *path, int mode, const void *data, size_t len,
		struct err *e);
/* Replaces path atomically with a new file of mode holding data: written
 * to path.new (exclusively), fsync'd, renamed over path, the directory
 * fsync'd. A crash leaves the old file or the new one, never a mix.
 * Returns 0 or ERR_IO. */
int fsio_replace(const char *path, int mode, const void *data, size_t len,
		 struct err *e);
/* Renames from to to and fsyncs the directory. Returns 0 or ERR_IO. */
int fsio_rename(const char *from, const char *to, struct err *e);
/* Fsyncs the directory holding path, so that a file created or renamed
 * there survives a crash. */
void fsio_sync_dir(const char *path);
/* Joins dir and name into out (cap bytes). Returns 0 or ERR_TOOBIG. */
int fsio_join(char *out, size_t cap, const char *dir, const char *name,
	      struct err *e);

#endif
