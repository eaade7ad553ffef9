/* fsio.c — bounded reads and exclusive, synced file creation. */
#include "util/fsio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fsio_read(const char *path, size_t max, char **buf, size_t *len,
	      struct err *e)
{
	struct stat st;
	char *b = NULL;
	size_t got = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
			       "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = err_set(e, ERR_IO, "%s: not a regular file", path);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		rc = err_set(e, ERR_TOOBIG, "%s: %lld bytes is over the %zu-byte limit",
			     path, (long long)st.st_size, max);
		goto out;
	}
	if (!(b = malloc((size_t)st.st_size + 1))) {
		rc = err_set(e, ERR_NOMEM, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = err_set(e, ERR_IO, "%s: read failed: %s", path,
				     r < 0 ? strerror(errno) : "file shrank");
			goto out;
		}
		got += (size_t)r;
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	b = NULL;
out:
	free(b);
	close(fd);
	return rc;
}

int fsio_create(const char *path, int mode, const void *data, size_t len,
		struct err *e)
{
	const char *p = data;
	size_t done = 0;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  mode);
	if (fd < 0)
		return err_set(e, errno == EEXIST ? ERR_EXISTS : ERR_IO,
			       "%s: %s", path, strerror(errno));
	while (done < len) {
		ssize_t w = write(fd, p + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		done += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	close(fd);
	return 0;
fail:
	err_set(e, ERR_IO, "%s: write failed: %s", path, strerror(errno));
	close(fd);
	unlink(path);
	return ERR_IO;
}

int fsio_join(char *out, size_t cap, const char *dir, const char *name,
	      struct err *e)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= cap)
		return err_set(e, ERR_TOOBIG, "path %s/%s is too long", dir, name);
	return 0;
}

int fsio_replace(const char *path, int mode, const void *data, size_t len, struct err *e)
{
	char tmp[4200];
	int rc;

	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
		return err_set(e, ERR_IO, "%s: path too long", path);
	unlink(tmp); /* a leftover of a crash */
	if ((rc = fsio_create(tmp, mode, data, len, e)) < 0)
		return rc;
	if ((rc = fsio_rename(tmp, path, e)) < 0)
		unlink(tmp);
	return rc;
}

int fsio_rename(const char *from, const char *to, struct err *e)
{
	if (rename(from, to) != 0)
		return err_set(e, ERR_IO, "%s: cannot replace: %s", to, strerror(errno));
	fsio_sync_dir(to);
	return 0;
}

void fsio_sync_dir(const char *path)
{
	char dir[4200], *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
}
