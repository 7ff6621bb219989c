/* test_alert_rule.c - threshold, region (antimeridian), depth and type rules. */
#include "alert_rule.h"
#include "sis_err.h"
#include "test.h"

static quake_t mk(double mag, double lat, double lon)
{
    quake_t q;
    quake_init(&q);
    q.id = "x";
    q.has_mag = 1;
    q.mag = mag;
    q.lat = lat;
    q.lon = lon;
    return q;
}

static void test_threshold(void)
{
    alert_rule_t r;
    alert_rule_init(&r);
    char why[256];
    quake_t q = mk(4.5, 0, 0);
    TEST_EQ_INT(alert_rule_match(&r, &q, why, sizeof why), 1);
    TEST_EQ_STR(why, "magnitud 4.5 >= 4.5");
    q.mag = 4.49999;
    TEST_EQ_INT(alert_rule_match(&r, &q, why, sizeof why), 0);
    TEST_EQ_STR(why, "magnitud 4.49999 < 4.5");
    q.has_mag = 0;
    TEST_EQ_INT(alert_rule_match(&r, &q, why, sizeof why), 0);
    r.min_mag = -1;
    q.has_mag = 1;
    q.mag = -0.5;
    TEST_EQ_INT(alert_rule_match(&r, &q, why, sizeof why), 1);
    alert_rule_release(&r);
}

static void test_region(void)
{
    alert_rule_t r;
    char err[SIS_ERRLEN];
    alert_rule_init(&r);
    TEST_EQ_INT(alert_rule_in_region(&r, 89, 179), 1); /* no region: everywhere */
    TEST_EQ_INT(alert_rule_set_region(&r, "-10,-80,10,-60", err, sizeof err), SIS_OK);
    TEST_EQ_INT(alert_rule_in_region(&r, 0, -70), 1);
    TEST_EQ_INT(alert_rule_in_region(&r, 10, -60), 1);  /* bounds included */
    TEST_EQ_INT(alert_rule_in_region(&r, 10.01, -70), 0);
    TEST_EQ_INT(alert_rule_in_region(&r, 0, -59.9), 0);
    /* Crossing the antimeridian: Fiji/Tonga, 170E..170W */
    TEST_EQ_INT(alert_rule_set_region(&r, "-25,170,-10,-170", err, sizeof err), SIS_OK);
    TEST_EQ_INT(alert_rule_in_region(&r, -20, 175), 1);
    TEST_EQ_INT(alert_rule_in_region(&r, -20, -175), 1);
    TEST_EQ_INT(alert_rule_in_region(&r, -20, 180), 1);
    TEST_EQ_INT(alert_rule_in_region(&r, -20, -180), 1);
    TEST_EQ_INT(alert_rule_in_region(&r, -20, 0), 0);
    TEST_EQ_INT(alert_rule_in_region(&r, -20, 169.9), 0);
    TEST_EQ_INT(alert_rule_in_region(&r, -20, -169.9), 0);
    /* A box ending at 180 contains -180 (same meridian), and the other way round. */
    TEST_EQ_INT(alert_rule_set_region(&r, "0,170,10,180", err, sizeof err), SIS_OK);
    TEST_EQ_INT(alert_rule_in_region(&r, 5, -180), 1);
    TEST_EQ_INT(alert_rule_in_region(&r, 5, -179.9), 0);
    TEST_EQ_INT(alert_rule_set_region(&r, "0,-180,10,-170", err, sizeof err), SIS_OK);
    TEST_EQ_INT(alert_rule_in_region(&r, 5, 180), 1);
    /* The whole world, as a crossing box */
    TEST_EQ_INT(alert_rule_set_region(&r, "-90,0,90,-0.0001", err, sizeof err), SIS_OK);
    TEST_EQ_INT(alert_rule_in_region(&r, 0, -0.00005), 0);
    TEST_EQ_INT(alert_rule_in_region(&r, 0, 120), 1);

    quake_t q = mk(5, 5, 175);
    char why[256];
    TEST_EQ_INT(alert_rule_set_region(&r, "-25,170,-10,-170", err, sizeof err), SIS_OK);
    TEST_EQ_INT(alert_rule_match(&r, &q, why, sizeof why), 0);
    TEST_EQ_STR(why, "(5, 175) fuera de la region -25,170,-10,-170");
    q.lat = -15;
    TEST_EQ_INT(alert_rule_match(&r, &q, why, sizeof why), 1);
    TEST_EQ_STR(why, "magnitud 5 >= 4.5; region -25,170,-10,-170");

    /* Bad specs are refused with a reason and leave the rule as it was. */
    const char *bad[] = {"1,2,3", "1,2,3,4,5", "a,2,3,4", "-91,0,0,0", "0,0,91,0", "0,-181,1,0",
                         "0,0,1,180.5", "10,0,-10,5", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        TEST_EQ_INT(alert_rule_set_region(&r, bad[i], err, sizeof err), SIS_ERR);
        TEST_ASSERT(strstr(err, "region") != NULL, "'%s' -> '%s'", bad[i], err);
    }
    TEST_ASSERT(r.west == 170 && r.east == -170);
    alert_rule_release(&r);
}

static void test_depth_and_types(void)
{
    alert_rule_t r;
    char err[SIS_ERRLEN], why[256];
    alert_rule_init(&r);
    r.has_max_depth = 1;
    r.max_depth_km = 70;
    quake_t q = mk(6, 0, 0);
    q.has_depth = 1;
    q.depth_km = 70;
    TEST_EQ_INT(alert_rule_match(&r, &q, why, sizeof why), 1);
    TEST_EQ_STR(why, "magnitud 6 >= 4.5; profundidad 70 km <= 70 km");
    q.depth_km = 70.1;
    TEST_EQ_INT(alert_rule_match(&r, &q, why, sizeof why), 0);
    TEST_EQ_STR(why, "profundidad 70.1 km > 70 km");
    q.has_depth = 0; /* unknown depth passes */
    TEST_EQ_INT(alert_rule_match(&r, &q, why, sizeof why), 1);
    TEST_EQ_STR(why, "magnitud 6 >= 4.5; profundidad desconocida");

    r.has_max_depth = 0;
    TEST_EQ_INT(alert_rule_set_types(&r, "earthquake, Quarry Blast", err, sizeof err), SIS_OK);
    q.type = "quarry blast";
    TEST_EQ_INT(alert_rule_match(&r, &q, why, sizeof why), 1);
    q.type = "explosion";
    TEST_EQ_INT(alert_rule_match(&r, &q, why, sizeof why), 0);
    TEST_EQ_STR(why, "tipo 'explosion' no seleccionado");
    q.type = NULL;
    TEST_EQ_INT(alert_rule_match(&r, &q, why, sizeof why), 0);
    TEST_EQ_INT(alert_rule_set_types(&r, " , ", err, sizeof err), SIS_ERR);
    alert_rule_release(&r);
}

int test_alert_rule(void)
{
    test_threshold();
    test_region();
    test_depth_and_types();
    return test_failures;
}
