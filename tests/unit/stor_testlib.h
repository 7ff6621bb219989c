/*
 * stor_testlib.h - builds valid RecordBatch v2 batches for storage tests and test tools
 * (independently of the broker's codec). Header-only, static inline: included by
 * tests/unit/test_stor_*.c and tests/tools/stortool.c.
 */
#ifndef STOR_TESTLIB_H
#define STOR_TESTLIB_H

#include "sis_buf.h"
#include "sis_crc32c.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static inline void stt_put_varint(sis_buf_t *b, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    while (z >= 0x80) {
        sis_buf_putc(b, (char)(z | 0x80));
        z >>= 7;
    }
    sis_buf_putc(b, (char)z);
}

static inline void stt_put_be(sis_buf_t *b, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--)
        sis_buf_putc(b, (char)(v >> (8 * i)));
}

typedef struct stt_batch {
    int nrecords;          /* >= 1 */
    int64_t base_ts;       /* timestamp of record 0; record i has base_ts + i */
    int64_t max_ts;        /* maxTimestamp field (-1 = base_ts + nrecords - 1) */
    const void *value;     /* each record's value */
    size_t value_len;
    int64_t producer_id;   /* -1 = none */
    int16_t producer_epoch;
    int32_t base_sequence;
} stt_batch_t;

/* Appends one batch (baseOffset 0, partitionLeaderEpoch -1, as a producer sends it). */
static inline void stt_batch(sis_buf_t *out, const stt_batch_t *spec)
{
    size_t start = out->len;
    stt_put_be(out, 0, 8);                           /* baseOffset */
    stt_put_be(out, 0, 4);                           /* batchLength, patched below */
    stt_put_be(out, 0xffffffffu, 4);                 /* partitionLeaderEpoch */
    sis_buf_putc(out, 2);                            /* magic */
    stt_put_be(out, 0, 4);                           /* crc, patched below */
    stt_put_be(out, 0, 2);                           /* attributes */
    stt_put_be(out, (uint64_t)(spec->nrecords - 1), 4); /* lastOffsetDelta */
    stt_put_be(out, (uint64_t)spec->base_ts, 8);
    int64_t max_ts = spec->max_ts != -1 ? spec->max_ts : spec->base_ts + spec->nrecords - 1;
    stt_put_be(out, (uint64_t)max_ts, 8);
    stt_put_be(out, (uint64_t)spec->producer_id, 8);
    stt_put_be(out, (uint64_t)(uint16_t)spec->producer_epoch, 2);
    stt_put_be(out, (uint64_t)(uint32_t)spec->base_sequence, 4);
    stt_put_be(out, (uint64_t)spec->nrecords, 4);
    for (int i = 0; i < spec->nrecords; i++) {
        sis_buf_t rec = SIS_BUF_INIT;
        sis_buf_putc(&rec, 0); /* attributes */
        stt_put_varint(&rec, i); /* timestampDelta */
        stt_put_varint(&rec, i); /* offsetDelta */
        stt_put_varint(&rec, -1); /* null key */
        stt_put_varint(&rec, (int64_t)spec->value_len);
        sis_buf_append(&rec, spec->value, spec->value_len);
        stt_put_varint(&rec, 0); /* headers */
        stt_put_varint(out, (int64_t)rec.len);
        sis_buf_append(out, rec.data, rec.len);
        sis_buf_release(&rec);
    }
    uint8_t *p = (uint8_t *)out->data + start;
    uint32_t total = (uint32_t)(out->len - start);
    uint32_t blen = total - 12;
    p[8] = (uint8_t)(blen >> 24);
    p[9] = (uint8_t)(blen >> 16);
    p[10] = (uint8_t)(blen >> 8);
    p[11] = (uint8_t)blen;
    uint32_t crc = sis_crc32c(0, p + 21, total - 21);
    p[17] = (uint8_t)(crc >> 24);
    p[18] = (uint8_t)(crc >> 16);
    p[19] = (uint8_t)(crc >> 8);
    p[20] = (uint8_t)crc;
}

/* A simple batch: n records of `value` at timestamp ts. */
static inline void stt_simple(sis_buf_t *out, int n, int64_t ts, const char *value)
{
    stt_batch_t spec = {n, ts, -1, value, strlen(value), -1, -1, -1};
    stt_batch(out, &spec);
}

/* Creates a fresh temporary directory; path must hold 64 bytes. */
static inline void stt_tmpdir(char *path, const char *tag)
{
    snprintf(path, 64, "/tmp/sismo-%s.XXXXXX", tag);
    if (!mkdtemp(path)) {
        perror("mkdtemp");
        abort();
    }
}

/* rm -rf path */
static inline void stt_rmrf(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            char sub[4096];
            if (snprintf(sub, sizeof sub, "%s/%s", path, de->d_name) >= (int)sizeof sub)
                continue;
            stt_rmrf(sub);
        }
        closedir(d);
    }
    remove(path);
}

/* Size of a file, -1 if absent. */
static inline long long stt_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) < 0 ? -1 : (long long)st.st_size;
}

#endif
