/*
 * test_backoff: when a deferred message is tried again: the wait grows
 * with the message's age and stays between the minimal and maximal
 * backoff times.
 */
#include <check.h>

#include "backoff.h"

#define MIN_BACKOFF 300
#define MAX_BACKOFF 4000
#define NOW 1700000000

START_TEST(test_young_message_waits_minimum)
{
	ck_assert_int_eq(backoff_next_retry(NOW, NOW, MIN_BACKOFF, MAX_BACKOFF), NOW + 300);
	ck_assert_int_eq(backoff_next_retry(NOW, NOW - 10, MIN_BACKOFF, MAX_BACKOFF), NOW + 300);
}
END_TEST

START_TEST(test_wait_doubles_with_age)
{
	time_t arrival = NOW;
	time_t first = backoff_next_retry(arrival + 300, arrival, MIN_BACKOFF, MAX_BACKOFF);
	time_t second = backoff_next_retry(first, arrival, MIN_BACKOFF, MAX_BACKOFF);
	time_t third = backoff_next_retry(second, arrival, MIN_BACKOFF, MAX_BACKOFF);

	ck_assert_int_eq(first - arrival, 600);
	ck_assert_int_eq(second - arrival, 1200);
	ck_assert_int_eq(third - arrival, 2400);
}
END_TEST

START_TEST(test_old_message_waits_maximum)
{
	ck_assert_int_eq(backoff_next_retry(NOW, NOW - 86400, MIN_BACKOFF, MAX_BACKOFF),
			 NOW + 4000);
}
END_TEST

START_TEST(test_arrival_in_future_waits_minimum)
{
	/* a clock that went backwards must not make the wait negative */
	ck_assert_int_eq(backoff_next_retry(NOW, NOW + 5000, MIN_BACKOFF, MAX_BACKOFF),
			 NOW + 300);
}
END_TEST

Suite *suite_backoff(void)
{
	Suite *s = suite_create("backoff");
	TCase *tc = tcase_create("next_retry");

	tcase_add_test(tc, test_young_message_waits_minimum);
	tcase_add_test(tc, test_wait_doubles_with_age);
	tcase_add_test(tc, test_old_message_waits_maximum);
	tcase_add_test(tc, test_arrival_in_future_waits_minimum);
	suite_add_tcase(s, tc);
	return s;
}
