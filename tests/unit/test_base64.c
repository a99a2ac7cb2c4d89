/*
 * test_base64: RFC 4648 test vectors both ways, and the strict decoder
 * refusing bad letters, lengths, padding and non-zero unused bits.
 */
#include <check.h>
#include <string.h>

#include "base64.h"

static const char *const test_base64_vectors[][2] = {
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
};

#define TEST_BASE64_VECTOR_COUNT (sizeof(test_base64_vectors) / sizeof(test_base64_vectors[0]))

START_TEST(test_vectors)
{
	for (size_t i = 0; i < TEST_BASE64_VECTOR_COUNT; i++) {
		str_t enc = STR_INIT;
		str_t dec = STR_INIT;
		const char *plain = test_base64_vectors[i][0];
		const char *text = test_base64_vectors[i][1];

		base64_encode(plain, strlen(plain), &enc);
		ck_assert_str_eq(str_cstr(&enc), text);
		ck_assert_uint_eq(enc.len, BASE64_ENCODED_LEN(strlen(plain)));
		ck_assert_int_eq(base64_decode(text, strlen(text), &dec), 0);
		ck_assert_str_eq(str_cstr(&dec), plain);
		str_free(&enc);
		str_free(&dec);
	}
}
END_TEST

START_TEST(test_binary_round_trip)
{
	unsigned char bytes[256];
	str_t enc = STR_INIT;
	str_t dec = STR_INIT;

	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)i;
	base64_encode(bytes, sizeof(bytes), &enc);
	ck_assert_int_eq(base64_decode(enc.data, enc.len, &dec), 0);
	ck_assert_uint_eq(dec.len, sizeof(bytes));
	ck_assert_int_eq(memcmp(dec.data, bytes, sizeof(bytes)), 0);
	str_free(&enc);
	str_free(&dec);
}
END_TEST

START_TEST(test_strict_refusals)
{
	static const char *const bad[] = {
		"Zg", "Zg=", "Zm9", "Zm9vY", "Z===", "====", "Zg==Zg==", "Zm=v", "Z=9v",
		"Zh==", "Zm9=", "Zm 9v", "Zm9v\n", "Zm9-", "Zm9_", "Zm9v*AAA",
	};
	str_t out = STR_INIT;

	str_set(&out, "kept");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(base64_decode(bad[i], strlen(bad[i]), &out) == -1, "accepted %s", bad[i]);
		ck_assert_str_eq(str_cstr(&out), "kept");
	}
	str_free(&out);
}
END_TEST

START_TEST(test_decode_appends)
{
	str_t out = STR_INIT;

	str_set(&out, "x");
	ck_assert_int_eq(base64_decode("AGRlbW8AcHc=", 12, &out), 0);
	ck_assert_uint_eq(out.len, 9);
	ck_assert_int_eq(memcmp(out.data, "x\0demo\0pw", 9), 0);
	str_free(&out);
}
END_TEST

Suite *suite_base64(void)
{
	Suite *s = suite_create("base64");
	TCase *tc = tcase_create("base64");

	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_binary_round_trip);
	tcase_add_test(tc, test_strict_refusals);
	tcase_add_test(tc, test_decode_appends);
	suite_add_tcase(s, tc);
	return s;
}
