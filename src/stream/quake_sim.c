/* quake_sim.c - synthetic quakes; the model is described in quake_sim.h. */
#include "quake_sim.h"

#include "sis_alloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING 1024 /* recent events that revisions pick from */

typedef enum { D_SHALLOW, D_GEOTHERMAL, D_ALASKA, D_SUBDUCTION, D_VOLCANIC } depth_kind_t;

typedef struct place {
    const char *town, *area; /* "Pāhala", "Hawaii" */
    double lat, lon;
    const char *net;         /* contributing network, id prefix */
    double mmin;             /* completeness magnitude of that network */
    int weight;              /* relative frequency */
    depth_kind_t depth;
    int offshore;            /* large events may carry the tsunami flag */
} place_t;

/* Weights follow the network mix of the all_week feed (ak/av, nc, ci, us, hv...). */
static const place_t places[] = {
    {"Anchorage", "Alaska", 61.2181, -149.9003, "ak", 0.5, 120, D_ALASKA, 0},
    {"Fairbanks", "Alaska", 64.8378, -147.7164, "ak", 0.3, 80, D_SHALLOW, 0},
    {"Petersville", "Alaska", 62.4978, -150.8417, "ak", 0.4, 60, D_ALASKA, 0},
    {"Adak", "Alaska", 51.8800, -176.6581, "av", 0.8, 90, D_SUBDUCTION, 1},
    {"Akutan", "Alaska", 54.1335, -165.7783, "av", 0.5, 80, D_VOLCANIC, 1},
    {"Yakutat", "Alaska", 59.5469, -139.7272, "ak", 0.8, 40, D_SHALLOW, 1},
    {"Petrolia", "CA", 40.3254, -124.2873, "nc", 0.8, 50, D_SHALLOW, 1},
    {"The Geysers", "CA", 38.7757, -122.7553, "nc", 0.0, 150, D_GEOTHERMAL, 0},
    {"Parkfield", "CA", 35.8997, -120.4327, "nc", 0.2, 60, D_SHALLOW, 0},
    {"Ridgecrest", "CA", 35.6225, -117.6709, "ci", 0.2, 110, D_SHALLOW, 0},
    {"Borrego Springs", "CA", 33.2559, -116.3750, "ci", 0.3, 60, D_SHALLOW, 0},
    {"Ocotillo Wells", "CA", 33.1431, -116.1341, "ci", 0.4, 40, D_SHALLOW, 0},
    {"Pāhala", "Hawaii", 19.2031, -155.4786, "hv", 1.0, 60, D_VOLCANIC, 1},
    {"Volcano", "Hawaii", 19.4269, -155.2344, "hv", 0.8, 40, D_VOLCANIC, 0},
    {"Tonopah", "Nevada", 38.0672, -117.2301, "nn", 0.5, 50, D_SHALLOW, 0},
    {"Guánica", "Puerto Rico", 17.9716, -66.9080, "pr", 1.5, 50, D_SHALLOW, 1},
    {"Pawnee", "Oklahoma", 36.3378, -96.8034, "ok", 1.0, 40, D_SHALLOW, 0},
    {"Mentone", "Texas", 31.7046, -103.5993, "tx", 1.2, 50, D_SHALLOW, 0},
    {"Magna", "Utah", 40.7091, -112.1016, "uu", 0.8, 35, D_SHALLOW, 0},
    {"Port Townsend", "Washington", 48.1170, -122.7604, "uw", 0.8, 35, D_SHALLOW, 1},
    {"West Yellowstone", "Montana", 44.6621, -111.1041, "mb", 0.5, 30, D_SHALLOW, 0},
    {"Miyako", "Japan", 39.6414, 141.9572, "us", 4.0, 30, D_SUBDUCTION, 1},
    {"Iwaki", "Japan", 37.0505, 140.8877, "us", 4.0, 20, D_SUBDUCTION, 1},
    {"Ovalle", "Chile", -30.6015, -71.1997, "us", 4.0, 20, D_SUBDUCTION, 1},
    {"Iquique", "Chile", -20.2133, -70.1503, "us", 4.0, 15, D_SUBDUCTION, 1},
    {"Arequipa", "Peru", -16.4090, -71.5375, "us", 4.0, 10, D_SUBDUCTION, 0},
    {"Sinabang", "Indonesia", 2.4803, 96.3801, "us", 4.0, 20, D_SUBDUCTION, 1},
    {"Ambon", "Indonesia", -3.6954, 128.1814, "us", 4.0, 15, D_SUBDUCTION, 1},
    {"Neiafu", "Tonga", -18.6500, -173.9833, "us", 4.0, 20, D_SUBDUCTION, 1},
    {"Kokopo", "Papua New Guinea", -4.3500, 152.2633, "us", 4.0, 15, D_SUBDUCTION, 1},
    {"Chalandrítsa", "Greece", 38.1000, 21.7833, "us", 4.0, 8, D_SHALLOW, 0},
    {"Malatya", "Turkey", 38.3552, 38.3095, "us", 4.0, 8, D_SHALLOW, 0},
    {"Pinotepa Nacional", "Mexico", 16.3410, -98.0541, "us", 4.0, 10, D_SUBDUCTION, 1},
    {"Kaikōura", "New Zealand", -42.4008, 173.6814, "us", 4.0, 8, D_SHALLOW, 1},
};

#define N_PLACES (sizeof places / sizeof places[0])

typedef struct sim_event {
    int live;
    char id[32];
    quake_t q;
} sim_event_t;

struct quake_sim {
    quake_sim_conf_t c;
    uint64_t rng;
    int total_weight;
    uint64_t counter; /* events created, for unique ids */
    int64_t next_time;
    quake_t out;
    char out_key[32];
    sim_event_t ring[RING];
    size_t ring_n, ring_pos;
    int pending_tomb; /* a re-issue's old key still has to be deleted */
    char pending_key[32];
};

/* splitmix64: small, fast, good enough for synthetic data, reproducible for a seed. */
static uint64_t rnd(quake_sim_t *s)
{
    uint64_t z = (s->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in (0, 1]. */
static double unif(quake_sim_t *s)
{
    return ((double)(rnd(s) >> 11) + 1.0) / 9007199254740992.0;
}

static double normal(quake_sim_t *s)
{
    return sqrt(-2.0 * log(unif(s))) * cos(2 * M_PI * unif(s));
}

quake_sim_t *quake_sim_new(const quake_sim_conf_t *c)
{
    quake_sim_t *s = SIS_NEW(quake_sim_t);
    s->c = *c;
    s->rng = c->seed ^ 0x5151515151515151ULL;
    for (size_t i = 0; i < N_PLACES; i++)
        s->total_weight += places[i].weight;
    s->next_time = c->start_ms;
    quake_init(&s->out);
    for (size_t i = 0; i < RING; i++)
        quake_init(&s->ring[i].q);
    return s;
}

void quake_sim_destroy(quake_sim_t *s)
{
    if (!s)
        return;
    quake_release(&s->out);
    for (size_t i = 0; i < RING; i++)
        quake_release(&s->ring[i].q);
    free(s);
}

static const place_t *pick_place(quake_sim_t *s)
{
    int r = (int)(rnd(s) % (uint64_t)s->total_weight);
    for (size_t i = 0; i < N_PLACES; i++) {
        if (r < places[i].weight)
            return &places[i];
        r -= places[i].weight;
    }
    return &places[0];
}

/* Network-style unique ids: "ak0234gpdcgp" (letters) for ak/av/ok/tx, "us6000k2pn"
 * (base 36) for us, "ci40437712" (digits) elsewhere. The event counter k is scrambled by a
 * multiplication modulo the id space with a prime factor (2654435761) (a bijection), so ids look
 * irregular yet never repeat (within 26^6, 4000 * 36^4 and 6 * 10^7 events respectively). */
static void make_id(quake_sim_t *s, const char *net, char *id, size_t n)
{
    uint64_t k = s->counter++;
    if (!strcmp(net, "us")) {
        const uint64_t space = 36ULL * 36 * 36 * 36;
        uint64_t v = (k % space) * 2654435761ULL % space;
        char suf[5];
        for (int i = 3; i >= 0; i--) {
            suf[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
            v /= 36;
        }
        suf[4] = '\0';
        snprintf(id, n, "us%04llu%s", (unsigned long long)(6000 + (k / space) % 4000), suf);
    } else if (!strcmp(net, "ak") || !strcmp(net, "av") || !strcmp(net, "ok") ||
               !strcmp(net, "tx")) {
        const uint64_t space = 26ULL * 26 * 26 * 26 * 26 * 26;
        uint64_t v = (k % space) * 2654435761ULL % space;
        char suf[7];
        for (int i = 5; i >= 0; i--) {
            suf[i] = (char)('a' + v % 26);
            v /= 26;
        }
        suf[6] = '\0';
        snprintf(id, n, "%s%04llu%s", net, (unsigned long long)(234 + k / space), suf);
    } else {
        const uint64_t space = 60000000ULL;
        snprintf(id, n, "%s%08llu", net, (unsigned long long)(40000000 + (k % space) * 2654435761ULL % space));
    }
}

static const char *bearing_name(double deg)
{
    static const char *const pts[] = {"N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
                                      "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"};
    int i = (int)floor(fmod(deg + 11.25 + 360.0, 360.0) / 22.5) % 16;
    return pts[i];
}

static double depth_for(quake_sim_t *s, depth_kind_t k)
{
    switch (k) {
    case D_GEOTHERMAL: return round((unif(s) * 4.0 - 0.3) * 100) / 100;
    case D_ALASKA: return round(unif(s) < 0.5 ? unif(s) * 20 * 10 : (20 + unif(s) * 130) * 10) / 10;
    case D_SUBDUCTION:
        if (unif(s) < 0.35)
            return 10.0; /* the fixed depth of poorly constrained solutions */
        return round((unif(s) < 0.85 ? 10 + unif(s) * 60 : 70 + unif(s) * 530) * 1000) / 1000;
    case D_VOLCANIC: return round((unif(s) * 40 - 1.5) * 100) / 100;
    case D_SHALLOW:
    default: return round(unif(s) * 15 * 100) / 100;
    }
}

static void copy_event(quake_t *dst, const quake_t *src)
{
    quake_reset(dst);
    dst->has_mag = src->has_mag;
    dst->mag = src->mag;
    dst->lat = src->lat;
    dst->lon = src->lon;
    dst->has_depth = src->has_depth;
    dst->depth_km = src->depth_km;
    dst->time_ms = src->time_ms;
    dst->tsunami = src->tsunami;
    dst->updated_ms = src->updated_ms;
    dst->id = quake_store(dst, src->id, strlen(src->id));
    dst->place = src->place ? quake_store(dst, src->place, strlen(src->place)) : NULL;
    dst->type = src->type ? quake_store(dst, src->type, strlen(src->type)) : NULL;
    dst->status = src->status ? quake_store(dst, src->status, strlen(src->status)) : NULL;
    dst->alert = src->alert ? quake_store(dst, src->alert, strlen(src->alert)) : NULL;
    dst->mag_type = src->mag_type ? quake_store(dst, src->mag_type, strlen(src->mag_type)) : NULL;
    dst->url = src->url ? quake_store(dst, src->url, strlen(src->url)) : NULL;
    for (int i = 0; i < src->n_ids; i++)
        quake_add_id(dst, src->ids[i], strlen(src->ids[i]));
}

static void set_url(quake_t *q, const char *id)
{
    char url[128];
    snprintf(url, sizeof url, "https://earthquake.usgs.gov/earthquakes/eventpage/%s", id);
    q->url = quake_store(q, url, strlen(url));
}

static const char *alert_for(double mag)
{
    return mag >= 7.0 ? "yellow" : mag >= 5.5 ? "green" : NULL;
}

static const char *mag_type_for(const char *net, double mag)
{
    if (!strcmp(net, "us"))
        return mag >= 5.8 ? "mww" : "mb";
    if (!strcmp(net, "nc") || !strcmp(net, "pr"))
        return "md";
    return "ml";
}

static void new_event(quake_sim_t *s, int64_t now_ms, quake_t *q)
{
    const place_t *p = pick_place(s);
    int global = !strcmp(p->net, "us");
    char id[32];
    make_id(s, p->net, id, sizeof id);

    double m = p->mmin - log10(unif(s)); /* Gutenberg-Richter, b = 1 */
    if (m > 9.1)
        m = 9.1;
    m = global ? round(m * 10) / 10 : round(m * 100) / 100;

    double dist = 1 + unif(s) * (global ? 149 : 59);
    double brg = unif(s) * 360.0;
    /* The epicentre lies `dist` km from the town in direction `brg` (flat-earth offset, fine
     * at these distances); lugar names the direction from the town to the epicentre. */
    double lat = p->lat + dist * cos(brg * M_PI / 180) / 111.2;
    double lon = p->lon + dist * sin(brg * M_PI / 180) / (111.2 * cos(p->lat * M_PI / 180));
    if (lon > 180)
        lon -= 360;
    if (lon < -180)
        lon += 360;
    if (lat > 90)
        lat = 90;
    if (lat < -90)
        lat = -90;
    char place[160];
    snprintf(place, sizeof place, "%d km %s of %s, %s", (int)round(dist), bearing_name(brg),
             p->town, p->area);

    int64_t t;
    if (s->c.live) {
        t = now_ms;
    } else {
        t = s->next_time;
        double gap = -log(unif(s)) / s->c.event_rate * 1000.0;
        s->next_time += (int64_t)gap;
    }
    if (s->c.jitter_ms > 0)
        t -= (int64_t)(unif(s) * (double)s->c.jitter_ms);

    quake_reset(q);
    q->id = quake_store(q, id, strlen(id));
    q->has_mag = 1;
    q->mag = m;
    q->place = quake_store(q, place, strlen(place));
    q->lat = round(lat * 10000) / 10000;
    q->lon = round(lon * 10000) / 10000;
    q->has_depth = 1;
    q->depth_km = depth_for(s, p->depth);
    q->time_ms = t;
    /* Live, a record is as of now: never updated in the future. */
    q->updated_ms = s->c.live ? now_ms : t + 60000 + (int64_t)(unif(s) * 600000);
    q->tsunami = p->offshore && m >= 6.5;
    double r = unif(s);
    const char *type = "earthquake";
    if (!global && r < 0.01)
        type = "quarry blast";
    else if (!global && r < 0.015)
        type = "explosion";
    q->type = quake_store(q, type, strlen(type));
    const char *status = global || unif(s) < 0.3 ? "reviewed" : "automatic";
    q->status = quake_store(q, status, strlen(status));
    const char *alert = alert_for(m);
    q->alert = alert ? quake_store(q, alert, strlen(alert)) : NULL;
    const char *mt = mag_type_for(p->net, m);
    q->mag_type = quake_store(q, mt, strlen(mt));
    set_url(q, id);
    quake_add_id(q, id, strlen(id));
}

static void emit_new(quake_sim_t *s, int64_t now_ms, quake_sim_msg_t *out)
{
    new_event(s, now_ms, &s->out);
    sim_event_t *slot = &s->ring[s->ring_pos];
    s->ring_pos = (s->ring_pos + 1) % RING;
    if (s->ring_n < RING)
        s->ring_n++;
    copy_event(&slot->q, &s->out);
    slot->live = 1;
    snprintf(s->out_key, sizeof s->out_key, "%s", s->out.id);
    *out = (quake_sim_msg_t){QUAKE_SIM_NEW, s->out_key, &s->out};
}

/* The update time of a revision: simulated (later than the previous one) for a backfill;
 * live, now (and still later than the previous one). */
static int64_t revised_at(const quake_sim_t *s, int64_t now_ms, int64_t prev, int64_t simulated)
{
    if (!s->c.live)
        return simulated;
    return now_ms > prev ? now_ms : prev + 1;
}

void quake_sim_next(quake_sim_t *s, int64_t now_ms, quake_sim_msg_t *out)
{
    if (s->pending_tomb) {
        s->pending_tomb = 0;
        snprintf(s->out_key, sizeof s->out_key, "%s", s->pending_key);
        *out = (quake_sim_msg_t){QUAKE_SIM_TOMBSTONE, s->out_key, NULL};
        return;
    }
    if (s->c.revisions <= 0 || s->ring_n == 0 || unif(s) > s->c.revisions) {
        emit_new(s, now_ms, out);
        return;
    }
    sim_event_t *e = &s->ring[rnd(s) % s->ring_n];
    if (!e->live) {
        emit_new(s, now_ms, out);
        return;
    }
    double r = unif(s);
    quake_t *q = &e->q;
    if (r < 0.8) {
        /* Revision: a reviewed magnitude, sometimes a new origin time or location. */
        double m = q->mag + normal(s) * 0.15;
        int global = !strncmp(q->id, "us", 2);
        q->mag = global ? round(m * 10) / 10 : round(m * 100) / 100;
        q->updated_ms = revised_at(s, now_ms, q->updated_ms,
                                   q->updated_ms + 300000 + (int64_t)(unif(s) * 3600000));
        if (unif(s) < 0.2)
            q->time_ms += (int64_t)(normal(s) * 2000);
        if (unif(s) < 0.1) {
            q->lat = round((q->lat + normal(s) * 0.02) * 10000) / 10000;
            q->lon = round((q->lon + normal(s) * 0.02) * 10000) / 10000;
            if (q->lat > 90 || q->lat < -90 || q->lon > 180 || q->lon < -180) {
                q->lat = fmax(-90, fmin(90, q->lat));
                q->lon = fmax(-180, fmin(180, q->lon));
            }
        }
        q->status = quake_store(q, "reviewed", 8);
        copy_event(&s->out, q);
        snprintf(s->out_key, sizeof s->out_key, "%s", q->id);
        *out = (quake_sim_msg_t){QUAKE_SIM_REVISION, s->out_key, &s->out};
    } else if (r < 0.9) {
        e->live = 0;
        snprintf(s->out_key, sizeof s->out_key, "%s", q->id);
        *out = (quake_sim_msg_t){QUAKE_SIM_TOMBSTONE, s->out_key, NULL};
    } else {
        /* Re-issue under a "us" id that lists the old one; the old key is deleted next. */
        char id[32], old[32];
        snprintf(old, sizeof old, "%s", q->id);
        make_id(s, "us", id, sizeof id);
        copy_event(&s->out, q);
        s->out.id = quake_store(&s->out, id, strlen(id));
        s->out.n_ids = 0;
        quake_add_id(&s->out, id, strlen(id));
        quake_add_id(&s->out, old, strlen(old));
        set_url(&s->out, id);
        s->out.updated_ms = revised_at(s, now_ms, s->out.updated_ms, s->out.updated_ms + 600000);
        copy_event(q, &s->out); /* the ring now holds the event under its new id */
        s->pending_tomb = 1;
        snprintf(s->pending_key, sizeof s->pending_key, "%s", old);
        snprintf(s->out_key, sizeof s->out_key, "%s", id);
        *out = (quake_sim_msg_t){QUAKE_SIM_REISSUE, s->out_key, &s->out};
    }
}
