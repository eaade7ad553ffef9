/* bytes.h — searching bytes that are not NUL-terminated. */
#ifndef PARLEY_BYTES_H
#define PARLEY_BYTES_H

#include <stddef.h>

/* 1 if the len bytes at buf contain the bytes of needle, else 0. */
int bytes_contain(const char *buf, size_t len, const char *needle);

#endif
