/*
 * test_anvil_table: what anvil counts per client. Connections open now and
 * per time unit, message, recipient and AUTH rates that start again with
 * each unit, expiry of clients that say nothing any more, eviction when
 * the table is full, and the peaks the statistics log reports. The clock
 * is an argument, so no test waits.
 */
#include <check.h>

#include "anvil_table.h"

#define UNIT 60
#define T0 1000			/* any monotonic time */
#define MANY 100
#define A "smtp:192.0.2.1"
#define B "smtp:192.0.2.2"
#define C "smtp:192.0.2.3"

static anvil_table_t *t;

static void setup(void)
{
	t = anvil_table_new(UNIT, MANY);
}

static void teardown(void)
{
	anvil_table_free(t);
	t = NULL;
}

START_TEST(test_connect_counts_open_connections_and_rate)
{
	long count, rate;

	anvil_table_connect(t, A, T0, &count, &rate);
	ck_assert_int_eq(count, 1);
	ck_assert_int_eq(rate, 1);
	anvil_table_connect(t, A, T0 + 1, &count, &rate);
	ck_assert_int_eq(count, 2);
	ck_assert_int_eq(rate, 2);
	anvil_table_disconnect(t, A, T0 + 2);
	anvil_table_connect(t, A, T0 + 3, &count, &rate);
	ck_assert_int_eq(count, 2);
	ck_assert_int_eq(rate, 3);
}
END_TEST

START_TEST(test_clients_and_services_are_counted_apart)
{
	long count, rate;

	anvil_table_connect(t, A, T0, &count, &rate);
	anvil_table_connect(t, B, T0, &count, &rate);
	ck_assert_int_eq(count, 1);
	anvil_table_connect(t, "submission:192.0.2.1", T0, &count, &rate);
	ck_assert_int_eq(count, 1);
	ck_assert_int_eq(rate, 1);
	ck_assert_uint_eq(anvil_table_size(t), 3);
}
END_TEST

START_TEST(test_rate_starts_again_with_the_next_unit)
{
	long count, rate;

	anvil_table_connect(t, A, T0, &count, &rate);
	anvil_table_connect(t, A, T0 + UNIT - 1, &count, &rate);
	ck_assert_int_eq(rate, 2);
	/* the unit began at T0: at T0 + UNIT a new one begins */
	anvil_table_connect(t, A, T0 + UNIT, &count, &rate);
	ck_assert_int_eq(rate, 1);
	ck_assert_int_eq(count, 3);	/* open connections do not expire */
}
END_TEST

START_TEST(test_events_have_their_own_rates)
{
	long count, rate;

	anvil_table_connect(t, A, T0, &count, &rate);
	ck_assert_int_eq(anvil_table_event(t, A, ANVIL_EVENT_MESSAGE, T0), 1);
	ck_assert_int_eq(anvil_table_event(t, A, ANVIL_EVENT_MESSAGE, T0 + 1), 2);
	ck_assert_int_eq(anvil_table_event(t, A, ANVIL_EVENT_RECIPIENT, T0 + 1), 1);
	ck_assert_int_eq(anvil_table_event(t, A, ANVIL_EVENT_AUTH, T0 + 2), 1);
	ck_assert_int_eq(anvil_table_event(t, B, ANVIL_EVENT_MESSAGE, T0 + 2), 1);
	/* a new unit resets every rate of the client */
	ck_assert_int_eq(anvil_table_event(t, A, ANVIL_EVENT_RECIPIENT, T0 + UNIT), 1);
	ck_assert_int_eq(anvil_table_event(t, A, ANVIL_EVENT_MESSAGE, T0 + UNIT), 1);
}
END_TEST

START_TEST(test_disconnect_without_connection_changes_nothing)
{
	long count, rate;

	anvil_table_disconnect(t, A, T0);
	ck_assert_uint_eq(anvil_table_size(t), 0);
	anvil_table_connect(t, A, T0, &count, &rate);
	anvil_table_disconnect(t, A, T0);
	anvil_table_disconnect(t, A, T0);	/* one too many */
	anvil_table_connect(t, A, T0, &count, &rate);
	ck_assert_int_eq(count, 1);
}
END_TEST

START_TEST(test_expire_drops_idle_clients_after_their_unit)
{
	long count, rate;

	anvil_table_connect(t, A, T0, &count, &rate);
	anvil_table_disconnect(t, A, T0 + 1);
	anvil_table_event(t, B, ANVIL_EVENT_MESSAGE, T0);
	anvil_table_connect(t, C, T0, &count, &rate);	/* still connected */
	ck_assert_uint_eq(anvil_table_expire(t, T0 + UNIT - 1), 0);
	ck_assert_uint_eq(anvil_table_size(t), 3);
	ck_assert_uint_eq(anvil_table_expire(t, T0 + UNIT), 2);
	ck_assert_uint_eq(anvil_table_size(t), 1);
	anvil_table_connect(t, C, T0 + UNIT, &count, &rate);
	ck_assert_int_eq(count, 2);
	/* A comes back as new */
	anvil_table_connect(t, A, T0 + UNIT, &count, &rate);
	ck_assert_int_eq(count, 1);
	ck_assert_int_eq(rate, 1);
}
END_TEST

START_TEST(test_clock_going_back_starts_a_new_unit)
{
	long count, rate;

	anvil_table_connect(t, A, T0, &count, &rate);
	anvil_table_connect(t, A, T0 - 5, &count, &rate);
	ck_assert_int_eq(rate, 1);
	ck_assert_int_eq(count, 2);
}
END_TEST

START_TEST(test_full_table_evicts_least_recent_idle_client)
{
	anvil_table_t *small = anvil_table_new(UNIT, 2);
	long count, rate;

	anvil_table_connect(small, A, T0, &count, &rate);	/* connected, oldest */
	anvil_table_event(small, B, ANVIL_EVENT_MESSAGE, T0 + 1);	/* idle */
	anvil_table_connect(small, C, T0 + 2, &count, &rate);
	ck_assert_uint_eq(anvil_table_size(small), 2);
	ck_assert_uint_eq(anvil_table_evicted(small), 1);
	/* B went, A stayed: its connection is still counted */
	ck_assert_int_eq(anvil_table_event(small, B, ANVIL_EVENT_MESSAGE, T0 + 3), 1);
	ck_assert_uint_eq(anvil_table_evicted(small), 2);
	anvil_table_free(small);
}
END_TEST

START_TEST(test_full_table_of_connected_clients_evicts_least_recent)
{
	anvil_table_t *small = anvil_table_new(UNIT, 2);
	long count, rate;

	anvil_table_connect(small, A, T0, &count, &rate);
	anvil_table_connect(small, B, T0 + 1, &count, &rate);
	anvil_table_connect(small, A, T0 + 2, &count, &rate);	/* A is now the most recent */
	anvil_table_connect(small, C, T0 + 3, &count, &rate);
	ck_assert_uint_eq(anvil_table_size(small), 2);
	anvil_table_connect(small, A, T0 + 4, &count, &rate);
	ck_assert_int_eq(count, 3);
	anvil_table_connect(small, B, T0 + 5, &count, &rate);	/* B was forgotten */
	ck_assert_int_eq(count, 1);
	anvil_table_free(small);
}
END_TEST

START_TEST(test_peaks_name_client_and_time)
{
	const anvil_peaks_t *peaks = anvil_table_peaks(t);
	long count, rate;

	anvil_table_connect(t, A, T0, &count, &rate);
	anvil_table_connect(t, B, T0 + 1, &count, &rate);
	anvil_table_connect(t, B, T0 + 2, &count, &rate);
	anvil_table_event(t, A, ANVIL_EVENT_RECIPIENT, T0 + 3);
	ck_assert_int_eq(peaks->rate[ANVIL_EVENT_CONNECT].value, 2);
	ck_assert_str_eq(peaks->rate[ANVIL_EVENT_CONNECT].ident, B);
	ck_assert_int_eq(peaks->rate[ANVIL_EVENT_CONNECT].when, T0 + 2);
	ck_assert_int_eq(peaks->count.value, 2);
	ck_assert_str_eq(peaks->count.ident, B);
	ck_assert_int_eq(peaks->rate[ANVIL_EVENT_RECIPIENT].value, 1);
	ck_assert_str_eq(peaks->rate[ANVIL_EVENT_RECIPIENT].ident, A);
	ck_assert_int_eq(peaks->rate[ANVIL_EVENT_MESSAGE].value, 0);
	ck_assert_int_eq(peaks->size.value, 2);
	ck_assert_int_eq(peaks->size.when, T0 + 1);
	anvil_table_peaks_reset(t);
	ck_assert_int_eq(peaks->count.value, 0);
	ck_assert_ptr_null(peaks->count.ident);
	anvil_table_connect(t, A, T0 + 4, &count, &rate);
	ck_assert_int_eq(peaks->count.value, 2);
	ck_assert_str_eq(peaks->count.ident, A);
}
END_TEST

Suite *suite_anvil_table(void)
{
	Suite *s = suite_create("anvil_table");
	TCase *tc = tcase_create("counting");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_connect_counts_open_connections_and_rate);
	tcase_add_test(tc, test_clients_and_services_are_counted_apart);
	tcase_add_test(tc, test_rate_starts_again_with_the_next_unit);
	tcase_add_test(tc, test_events_have_their_own_rates);
	tcase_add_test(tc, test_disconnect_without_connection_changes_nothing);
	tcase_add_test(tc, test_expire_drops_idle_clients_after_their_unit);
	tcase_add_test(tc, test_clock_going_back_starts_a_new_unit);
	tcase_add_test(tc, test_full_table_evicts_least_recent_idle_client);
	tcase_add_test(tc, test_full_table_of_connected_clients_evicts_least_recent);
	tcase_add_test(tc, test_peaks_name_client_and_time);
	suite_add_tcase(s, tc);
	return s;
}
