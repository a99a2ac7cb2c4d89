/*
 * test_tls: the pure parts of tls.c: smtpd_tls_security_level words, the
 * smtpd_tls_protocols forms that are supported, and bad PEM input refused.
 */
#include <check.h>
#include <openssl/ssl.h>
#include <string.h>

#include "tls.h"

START_TEST(test_level)
{
	ck_assert_int_eq(tls_level_parse(""), TLS_LEVEL_NONE);
	ck_assert_int_eq(tls_level_parse("none"), TLS_LEVEL_NONE);
	ck_assert_int_eq(tls_level_parse("may"), TLS_LEVEL_MAY);
	ck_assert_int_eq(tls_level_parse("MAY"), TLS_LEVEL_MAY);
	ck_assert_int_eq(tls_level_parse("encrypt"), TLS_LEVEL_ENCRYPT);
	ck_assert_int_eq(tls_level_parse("verify"), TLS_LEVEL_BAD);
	ck_assert_int_eq(tls_level_parse("mayx"), TLS_LEVEL_BAD);
}
END_TEST

START_TEST(test_protocols)
{
	ck_assert_int_eq(tls_protocols_parse(">=TLSv1.2"), TLS1_2_VERSION);
	ck_assert_int_eq(tls_protocols_parse(" >=TLSv1.3"), TLS1_3_VERSION);
	ck_assert_int_eq(tls_protocols_parse(">=TLSv1.1"), -1);
	ck_assert_int_eq(tls_protocols_parse("TLSv1.2"), -1);
	ck_assert_int_eq(tls_protocols_parse(""), -1);
}
END_TEST

START_TEST(test_bad_files)
{
	str_t pem = STR_INIT;
	str_t err = STR_INIT;

	ck_assert_int_eq(tls_pem_read("/nonexistent/cert.pem", &pem, &err), -1);
	ck_assert_ptr_nonnull(strstr(str_cstr(&err), "/nonexistent/cert.pem"));
	str_set(&pem, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
	ck_assert_ptr_null(tls_server_create(&pem, &pem, TLS1_2_VERSION, &err));
	ck_assert_ptr_nonnull(strstr(str_cstr(&err), "certificate"));
	tls_pem_free(&pem);
	ck_assert_ptr_null(pem.data);
	str_free(&err);
}
END_TEST

Suite *suite_tls(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_level);
	tcase_add_test(tc, test_protocols);
	tcase_add_test(tc, test_bad_files);
	suite_add_tcase(s, tc);
	return s;
}
