/*
 * sis_err.h - the small status codes every sismo function returns.
 *
 * Contract: functions return SIS_OK (0) on success, SIS_ERR (-1) on failure with the
 * human-readable reason written into the caller's `char *errbuf, size_t errlen`, and
 * SIS_AGAIN (-2) when a resumable operation needs more input. Kafka error codes never
 * travel in these values: they live in protocol responses.
 */
#ifndef SIS_ERR_H
#define SIS_ERR_H

#include <stddef.h>

#define SIS_OK 0
#define SIS_ERR -1
#define SIS_AGAIN -2

/* Conventional size of an error buffer. */
#define SIS_ERRLEN 256

/* Writes a printf-style message into errbuf (if non-NULL); always returns SIS_ERR so that
 * callers can write `return sis_seterr(errbuf, errlen, "...")`. */
int sis_seterr(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
