/* replay.c — runs a fuzz harness's LLVMFuzzerTestOneInput over every file
 * of the corpus directories (or single files) given as arguments, without
 * libFuzzer, so that any compiler can replay the committed corpora as part
 * of the normal test suite. Fails if an argument holds no input at all. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_FILE_MAX (1 << 20) /* larger inputs are a mistake here */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads path into a buffer of exactly its size (so that a sanitizer sees a
 * read past the end), runs the harness on it. Returns 0 or -1. */
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size;
	int rc = -1;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		goto out;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "%s: cannot size\n", path);
		goto out;
	}
	if (size > REPLAY_FILE_MAX) {
		fprintf(stderr, "%s: larger than %d bytes\n", path, REPLAY_FILE_MAX);
		goto out;
	}
	if (!(buf = malloc(size > 0 ? (size_t)size : 1))) {
		fprintf(stderr, "%s: out of memory\n", path);
		goto out;
	}
	if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "%s: short read\n", path);
		goto out;
	}
	LLVMFuzzerTestOneInput(buf, (size_t)size);
	rc = 0;
out:
	free(buf);
	if (f)
		fclose(f);
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every regular file in dir, in name order. Returns how many, or
 * -1 on an error. */
static long replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *ent;
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0;
	long count = -1;

	if (!d) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((ent = readdir(d))) {
		if (ent->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **grown = realloc(names, (cap = cap ? 2 * cap : 64) *
							      sizeof(*names));
			if (!grown)
				goto out;
			names = grown;
		}
		if (!(names[n] = strdup(ent->d_name)))
			goto out;
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	count = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		int len = snprintf(path, sizeof(path), "%s/%s", dir, names[i]);

		if (len < 0 || (size_t)len >= sizeof(path) || stat(path, &st) != 0) {
			fprintf(stderr, "%s/%s: cannot stat\n", dir, names[i]);
			count = -1;
			goto out;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (replay_file(path) < 0) {
			count = -1;
			goto out;
		}
		count++;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return count;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR-OR-FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		long count;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode))
			count = replay_dir(argv[i]);
		else
			count = replay_file(argv[i]) == 0 ? 1 : -1;
		if (count < 0)
			return 1;
		if (count == 0) {
			fprintf(stderr, "%s: no inputs\n", argv[i]);
			return 1;
		}
		printf("%s: %ld inputs replayed\n", argv[i], count);
	}
	return 0;
}
