/*
 * runner.c - runs the unit suites listed in the generated test_suites.h.
 *
 * usage: sismo-unit [suite...]   (no argument = all). Output is TAP; exit 1 if any failed.
 */
#include "test.h"

#include <stdlib.h>

int test_failures;
int test_checks;

typedef struct {
    const char *name;
    int (*fn)(void);
} suite_t;

static const suite_t suites[] = {
#define SIS_TEST_SUITE(name) {#name, test_##name},
#include "test_suites.h"
#undef SIS_TEST_SUITE
};

int main(int argc, char **argv)
{
    size_t n = sizeof suites / sizeof suites[0];
    int failed = 0, run = 0;
    printf("1..%zu\n", argc > 1 ? (size_t)(argc - 1) : n);
    for (size_t i = 0; i < n; i++) {
        int selected = argc == 1;
        for (int a = 1; a < argc; a++)
            if (!strcmp(argv[a], suites[i].name))
                selected = 1;
        if (!selected)
            continue;
        test_failures = test_checks = 0;
        suites[i].fn();
        run++;
        if (test_failures) {
            failed++;
            printf("not ok %d - %s (%d of %d checks failed)\n", run, suites[i].name,
                   test_failures, test_checks);
        } else {
            printf("ok %d - %s (%d checks)\n", run, suites[i].name, test_checks);
        }
    }
    if (argc > 1 && run != argc - 1) {
        fprintf(stderr, "unknown suite name among the arguments\n");
        return 2;
    }
    return failed ? 1 : 0;
}
