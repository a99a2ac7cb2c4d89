/*
 * test_dns: the DNS reply parser on packets built here - MX and address
 * answers, compression pointers (and pointer loops), truncation at every
 * byte, wrong data lengths, CNAME chains in any order (and CNAME loops),
 * null MX, malformed MX targets, error rcodes and empty answers - and the
 * MX order: by preference, random among equals.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"

#define PKT_MAX 4096
#define QUESTION 12		/* offset of the question's name */
#define RCODE_NXDOMAIN 3
#define RCODE_SERVFAIL 2
#define RCODE_REFUSED 5
#define SORT_ROUNDS 300

typedef struct pkt {
	unsigned char b[PKT_MAX];
	size_t n;
} pkt_t;

static void put8(pkt_t *p, unsigned v)
{
	ck_assert_uint_lt(p->n, PKT_MAX);
	p->b[p->n++] = (unsigned char)v;
}

static void put16(pkt_t *p, unsigned v)
{
	put8(p, v >> 8);
	put8(p, v & 0xff);
}

static void put_bytes(pkt_t *p, const void *data, size_t len)
{
	ck_assert_uint_le(p->n + len, PKT_MAX);
	memcpy(p->b + p->n, data, len);
	p->n += len;
}

/* "a.b" as labels, then a pointer to ptr, or the root label when ptr < 0. */
static void put_labels(pkt_t *p, const char *name, int ptr)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);

		put8(p, (unsigned)len);
		put_bytes(p, name, len);
		name += len + (dot != NULL);
	}
	if (ptr >= 0)
		put16(p, 0xc000 | (unsigned)ptr);
	else
		put8(p, 0);
}

/* A response with rcode, ancount answers to come, and the question. */
static void start(pkt_t *p, unsigned rcode, unsigned ancount, const char *name, unsigned type)
{
	p->n = 0;
	put16(p, 0x1234);
	put16(p, 0x8180 | rcode);	/* QR, RD, RA */
	put16(p, 1);
	put16(p, ancount);
	put16(p, 0);
	put16(p, 0);
	put_labels(p, name, -1);
	put16(p, type);
	put16(p, 1);
}

/* A record's owner (NULL: a pointer to the question), type, class, TTL;
 * returns where its data length goes (see rr_end). */
static size_t rr_begin(pkt_t *p, const char *owner, unsigned type)
{
	size_t at;

	if (owner)
		put_labels(p, owner, -1);
	else
		put16(p, 0xc000 | QUESTION);
	put16(p, type);
	put16(p, 1);
	put16(p, 0);
	put16(p, 300);
	at = p->n;
	put16(p, 0);
	return at;
}

static void rr_end(pkt_t *p, size_t at)
{
	size_t len = p->n - at - 2;

	p->b[at] = (unsigned char)(len >> 8);
	p->b[at + 1] = (unsigned char)len;
}

static void add_mx(pkt_t *p, const char *owner, unsigned pref, const char *host)
{
	size_t at = rr_begin(p, owner, DNS_TYPE_MX);

	put16(p, pref);
	put_labels(p, host, -1);
	rr_end(p, at);
}

static void add_cname(pkt_t *p, const char *owner, const char *target)
{
	size_t at = rr_begin(p, owner, DNS_TYPE_CNAME);

	put_labels(p, target, -1);
	rr_end(p, at);
}

static void add_addr(pkt_t *p, const char *owner, unsigned type, const void *addr, size_t len)
{
	size_t at = rr_begin(p, owner, type);

	put_bytes(p, addr, len);
	rr_end(p, at);
}

static int parse_mx(const pkt_t *p, const char *name, dns_mx_list_t *list)
{
	return dns_parse_mx(p->b, p->n, name, list);
}

/* An MX answer for a name with a single target; the status. */
static int mx_to(const char *host, unsigned pref)
{
	pkt_t p;
	dns_mx_list_t list;

	start(&p, 0, 1, "mx.example", DNS_TYPE_MX);
	add_mx(&p, NULL, pref, host);
	return parse_mx(&p, "mx.example", &list);
}

START_TEST(test_mx_answer)
{
	pkt_t p;
	dns_mx_list_t list;

	start(&p, 0, 3, "mx.example", DNS_TYPE_MX);
	add_mx(&p, NULL, 20, "b.mx.example");
	add_mx(&p, "other.example", 5, "c.other.example");	/* not ours: ignored */
	add_mx(&p, "MX.Example", 10, "A.MX.example");	/* names compare without case */
	ck_assert_int_eq(parse_mx(&p, "mx.example.", &list), DNS_OK);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.mx[0].host, "b.mx.example");
	ck_assert_uint_eq(list.mx[0].pref, 20);
	ck_assert_str_eq(list.mx[1].host, "a.mx.example");
	dns_mx_sort(&list);
	ck_assert_str_eq(list.mx[0].host, "a.mx.example");
	ck_assert_str_eq(list.mx[1].host, "b.mx.example");
}
END_TEST

START_TEST(test_compression)
{
	pkt_t p;
	dns_mx_list_t list;
	size_t at, first;

	start(&p, 0, 2, "mx.example", DNS_TYPE_MX);
	at = rr_begin(&p, NULL, DNS_TYPE_MX);
	put16(&p, 10);
	first = p.n;
	put_labels(&p, "mail", QUESTION);	/* mail.mx.example */
	rr_end(&p, at);
	at = rr_begin(&p, NULL, DNS_TYPE_MX);
	put16(&p, 20);
	put_labels(&p, "backup", (int)first);	/* a pointer to a name that ends in one */
	rr_end(&p, at);
	ck_assert_int_eq(parse_mx(&p, "mx.example", &list), DNS_OK);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.mx[0].host, "mail.mx.example");
	ck_assert_str_eq(list.mx[1].host, "backup.mail.mx.example");
}
END_TEST

/* An MX whose target is "mail.x" then a pointer to where (relative to
 * the target's start when rel, else absolute). */
static int mx_pointer(int where, int rel)
{
	pkt_t p;
	dns_mx_list_t list;
	size_t at;

	start(&p, 0, 1, "mx.example", DNS_TYPE_MX);
	at = rr_begin(&p, NULL, DNS_TYPE_MX);
	put16(&p, 10);
	put_labels(&p, "mail.x", rel ? (int)p.n + where : where);
	rr_end(&p, at);
	return parse_mx(&p, "mx.example", &list);
}

START_TEST(test_pointer_loops)
{
	ck_assert_int_eq(mx_pointer(0, 1), DNS_INVALID);	/* to its own first label */
	ck_assert_int_eq(mx_pointer(5, 1), DNS_INVALID);	/* back into its own run */
	ck_assert_int_eq(mx_pointer(7, 1), DNS_INVALID);	/* to itself */
	ck_assert_int_eq(mx_pointer(9, 1), DNS_INVALID);	/* forward */
	ck_assert_int_eq(mx_pointer(0x3fff, 0), DNS_INVALID);	/* past the end */
	ck_assert_int_eq(mx_pointer(QUESTION, 0), DNS_OK);
}
END_TEST

START_TEST(test_pointer_cycle)
{
	pkt_t p;
	dns_mx_list_t list;
	size_t at, n1, n2;

	/* Two names in a record nobody reads as names: "p" then a pointer to
	 * "r", and "r" then a pointer back to "p". The MX target "s" points
	 * to "r": s, r, p, r, ... */
	start(&p, 0, 2, "mx.example", DNS_TYPE_MX);
	at = rr_begin(&p, "junk.example", 99);
	n1 = p.n;
	put_labels(&p, "p", (int)n1 + 4);
	n2 = p.n;
	put_labels(&p, "r", (int)n1);
	rr_end(&p, at);
	at = rr_begin(&p, NULL, DNS_TYPE_MX);
	put16(&p, 10);
	put_labels(&p, "s", (int)n2);
	rr_end(&p, at);
	ck_assert_uint_eq(n2, n1 + 4);
	ck_assert_int_eq(parse_mx(&p, "mx.example", &list), DNS_INVALID);
	ck_assert_uint_eq(list.count, 0);
}
END_TEST

START_TEST(test_extended_label)
{
	pkt_t p;
	dns_mx_list_t list;
	size_t at;

	start(&p, 0, 1, "mx.example", DNS_TYPE_MX);
	at = rr_begin(&p, NULL, DNS_TYPE_MX);
	put16(&p, 10);
	put8(&p, 0x41);		/* obsolete extended label type */
	put8(&p, 0);
	rr_end(&p, at);
	ck_assert_int_eq(parse_mx(&p, "mx.example", &list), DNS_INVALID);
}
END_TEST

START_TEST(test_truncated)
{
	pkt_t p;
	dns_mx_list_t list;

	start(&p, 0, 3, "alias.example", DNS_TYPE_MX);
	add_cname(&p, NULL, "mx.example");
	add_mx(&p, "mx.example", 10, "mail.mx.example");
	add_mx(&p, "mx.example", 20, "backup.mx.example");
	ck_assert_int_eq(parse_mx(&p, "alias.example", &list), DNS_OK);
	ck_assert_uint_eq(list.count, 2);
	for (size_t len = 0; len < p.n; len++)
		ck_assert_msg(dns_parse_mx(p.b, len, "alias.example", &list) == DNS_INVALID,
			      "accepted %zu of %zu bytes", len, p.n);
}
END_TEST

START_TEST(test_rdlength)
{
	static const unsigned char addr5[] = { 192, 0, 2, 1, 0 };
	pkt_t p;
	dns_mx_list_t mx;
	dns_addr_list_t addrs = { 0 };
	size_t at;

	start(&p, 0, 1, "a.example", DNS_TYPE_A);
	add_addr(&p, NULL, DNS_TYPE_A, addr5, sizeof(addr5));	/* 5 bytes for an A */
	ck_assert_int_eq(dns_parse_addr(p.b, p.n, "a.example", DNS_TYPE_A, &addrs), DNS_INVALID);
	ck_assert_uint_eq(addrs.count, 0);

	start(&p, 0, 1, "mx.example", DNS_TYPE_MX);
	at = rr_begin(&p, NULL, DNS_TYPE_MX);
	put16(&p, 10);
	put_labels(&p, "mail.mx.example", -1);
	rr_end(&p, at);
	p.b[at + 1] -= 3;		/* the target runs past the data */
	ck_assert_int_eq(parse_mx(&p, "mx.example", &mx), DNS_INVALID);
	p.b[at + 1] += 4;		/* the data runs past the packet */
	ck_assert_int_eq(parse_mx(&p, "mx.example", &mx), DNS_INVALID);
	p.b[at + 1] -= 1;
	put8(&p, 0);			/* junk after the target, inside the data */
	p.b[at + 1] += 1;
	ck_assert_int_eq(parse_mx(&p, "mx.example", &mx), DNS_INVALID);

	start(&p, 0, 1, "mx.example", DNS_TYPE_MX);
	at = rr_begin(&p, NULL, DNS_TYPE_MX);
	put16(&p, 10);			/* a preference and no target */
	rr_end(&p, at);
	ck_assert_int_eq(parse_mx(&p, "mx.example", &mx), DNS_INVALID);
}
END_TEST

START_TEST(test_cname_chain)
{
	pkt_t p;
	dns_mx_list_t list;

	/* the chain's records in reverse order, and an MX for a name off it */
	start(&p, 0, 5, "alias.example", DNS_TYPE_MX);
	add_mx(&p, "mx.example", 10, "mail.example");
	add_mx(&p, "elsewhere.example", 10, "wrong.example");
	add_cname(&p, "mid.example", "mx.example");
	add_cname(&p, NULL, "mid.example");
	add_mx(&p, "mid.example", 10, "wrong-too.example");	/* a CNAME owns no MX */
	ck_assert_int_eq(parse_mx(&p, "alias.example", &list), DNS_OK);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_str_eq(list.mx[0].host, "mail.example");

	/* a chain whose end has no record of the type */
	start(&p, 0, 1, "alias.example", DNS_TYPE_MX);
	add_cname(&p, NULL, "mx.example");
	ck_assert_int_eq(parse_mx(&p, "alias.example", &list), DNS_NOTFOUND);
}
END_TEST

/* A chain of links CNAMEs from c0.example, then an MX. */
static int cname_links(int links)
{
	pkt_t p;
	dns_mx_list_t list;
	char owner[32], target[32];

	start(&p, 0, (unsigned)links + 1, "c0.example", DNS_TYPE_MX);
	for (int i = 0; i < links; i++) {
		snprintf(owner, sizeof(owner), "c%d.example", i);
		snprintf(target, sizeof(target), "c%d.example", i + 1);
		add_cname(&p, owner, target);
	}
	add_mx(&p, target, 10, "mail.example");
	return parse_mx(&p, "c0.example", &list);
}

START_TEST(test_cname_loop)
{
	pkt_t p;
	dns_mx_list_t list;

	start(&p, 0, 2, "a.example", DNS_TYPE_MX);
	add_cname(&p, NULL, "b.example");
	add_cname(&p, "b.example", "a.example");
	ck_assert_int_eq(parse_mx(&p, "a.example", &list), DNS_INVALID);
	ck_assert_int_eq(cname_links(DNS_CNAME_MAX), DNS_OK);
	ck_assert_int_eq(cname_links(DNS_CNAME_MAX + 1), DNS_INVALID);
}
END_TEST

START_TEST(test_equal_preference)
{
	static const char *const equal[] = { "a.example", "b.example", "c.example" };
	size_t second[3] = { 0 };
	pkt_t p;
	dns_mx_list_t parsed, list;

	start(&p, 0, 4, "mx.example", DNS_TYPE_MX);
	add_mx(&p, NULL, 10, equal[0]);
	add_mx(&p, NULL, 10, equal[1]);
	add_mx(&p, NULL, 5, "first.example");
	add_mx(&p, NULL, 10, equal[2]);
	ck_assert_int_eq(parse_mx(&p, "mx.example", &parsed), DNS_OK);
	for (int round = 0; round < SORT_ROUNDS; round++) {
		list = parsed;
		dns_mx_sort(&list);
		ck_assert_str_eq(list.mx[0].host, "first.example");
		for (size_t i = 1; i < list.count; i++)
			ck_assert_uint_eq(list.mx[i].pref, 10);
		for (size_t i = 0; i < 3; i++)
			second[i] += strcmp(list.mx[1].host, equal[i]) == 0;
	}
	for (size_t i = 0; i < 3; i++)	/* each is tried first among equals, sometimes */
		ck_assert_msg(second[i] > 0, "%s never came first among equals", equal[i]);
}
END_TEST

START_TEST(test_many_mx)
{
	pkt_t p;
	dns_mx_list_t list;
	char host[32];

	start(&p, 0, DNS_MX_MAX + 8, "mx.example", DNS_TYPE_MX);
	for (int i = 0; i < DNS_MX_MAX + 8; i++) {
		snprintf(host, sizeof(host), "m%d.example", i);
		add_mx(&p, NULL, (unsigned)i, host);
	}
	ck_assert_int_eq(parse_mx(&p, "mx.example", &list), DNS_OK);
	ck_assert_uint_eq(list.count, DNS_MX_MAX);
}
END_TEST

START_TEST(test_null_mx)
{
	pkt_t p;
	dns_mx_list_t list;

	ck_assert_int_eq(mx_to("", 0), DNS_NULLMX);
	ck_assert_int_eq(mx_to("", 10), DNS_INVALID);	/* "." with a preference */
	start(&p, 0, 2, "mx.example", DNS_TYPE_MX);
	add_mx(&p, NULL, 0, "");
	add_mx(&p, NULL, 10, "mail.example");	/* "." among other MX */
	ck_assert_int_eq(parse_mx(&p, "mx.example", &list), DNS_INVALID);
	ck_assert_uint_eq(list.count, 0);
}
END_TEST

START_TEST(test_mx_target)
{
	char longest[DNS_NAME_MAX + 8];
	char label[64];

	ck_assert_int_eq(mx_to("mail_1.mx-2.example", 10), DNS_OK);
	ck_assert_int_eq(mx_to("bad host.example", 10), DNS_INVALID);
	ck_assert_int_eq(mx_to("bad\001.example", 10), DNS_INVALID);
	ck_assert_int_eq(mx_to("-bad.example", 10), DNS_INVALID);
	ck_assert_int_eq(mx_to("bad-.example", 10), DNS_INVALID);
	ck_assert_int_eq(mx_to("bad!.example", 10), DNS_INVALID);
	ck_assert_int_eq(mx_to("192.0.2.1", 10), DNS_INVALID);	/* an address, not a host */

	/* 63 + 63 + 63 + 61 bytes in four labels: 255 on the wire, the most */
	memset(label, 'x', 63);
	label[63] = 0;
	snprintf(longest, sizeof(longest), "%s.%s.%s.%.61s", label, label, label, label);
	ck_assert_uint_eq(strlen(longest), DNS_NAME_MAX);
	ck_assert_int_eq(mx_to(longest, 10), DNS_OK);
	longest[DNS_NAME_MAX - 1] = 0;
	strcat(longest, "xx");		/* one byte too long */
	ck_assert_int_eq(mx_to(longest, 10), DNS_INVALID);
}
END_TEST

START_TEST(test_rcodes)
{
	pkt_t p;
	dns_mx_list_t list;

	start(&p, 0, 0, "mx.example", DNS_TYPE_MX);	/* NOERROR, no data */
	ck_assert_int_eq(parse_mx(&p, "mx.example", &list), DNS_NOTFOUND);
	start(&p, RCODE_NXDOMAIN, 0, "mx.example", DNS_TYPE_MX);
	ck_assert_int_eq(parse_mx(&p, "mx.example", &list), DNS_NOTFOUND);
	start(&p, RCODE_SERVFAIL, 0, "mx.example", DNS_TYPE_MX);
	ck_assert_int_eq(parse_mx(&p, "mx.example", &list), DNS_RETRY);
	start(&p, RCODE_REFUSED, 0, "mx.example", DNS_TYPE_MX);
	ck_assert_int_eq(parse_mx(&p, "mx.example", &list), DNS_RETRY);
}
END_TEST

START_TEST(test_not_our_answer)
{
	pkt_t p;
	dns_mx_list_t list;

	start(&p, 0, 1, "other.example", DNS_TYPE_MX);	/* another question */
	add_mx(&p, NULL, 10, "mail.example");
	ck_assert_int_eq(parse_mx(&p, "mx.example", &list), DNS_INVALID);
	start(&p, 0, 1, "mx.example", DNS_TYPE_A);	/* another type */
	ck_assert_int_eq(parse_mx(&p, "mx.example", &list), DNS_INVALID);
	start(&p, 0, 1, "mx.example", DNS_TYPE_MX);
	add_mx(&p, NULL, 10, "mail.example");
	p.b[2] &= 0x7f;			/* a query, not a response */
	ck_assert_int_eq(parse_mx(&p, "mx.example", &list), DNS_INVALID);
	p.b[2] |= 0x80;
	p.b[5] = 0;			/* no question */
	ck_assert_int_eq(parse_mx(&p, "mx.example", &list), DNS_INVALID);
	p.b[5] = 1;
	ck_assert_int_eq(parse_mx(&p, "mx.example", &list), DNS_OK);
	ck_assert_int_eq(parse_mx(&p, "", &list), DNS_INVALID);
}
END_TEST

START_TEST(test_addresses)
{
	static const unsigned char a1[] = { 192, 0, 2, 1 };
	static const unsigned char a2[] = { 192, 0, 2, 2 };
	static const unsigned char v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	pkt_t p;
	dns_addr_list_t list = { 0 };

	start(&p, 0, 2, "host.example", DNS_TYPE_A);
	add_addr(&p, NULL, DNS_TYPE_A, a1, sizeof(a1));
	add_addr(&p, NULL, DNS_TYPE_A, a2, sizeof(a2));
	ck_assert_int_eq(dns_parse_addr(p.b, p.n, "host.example", DNS_TYPE_A, &list), DNS_OK);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_int_eq(list.addr[0].family, AF_INET);
	ck_assert_mem_eq(list.addr[1].addr, a2, sizeof(a2));

	start(&p, 0, 1, "host.example", DNS_TYPE_AAAA);	/* appended */
	add_addr(&p, NULL, DNS_TYPE_AAAA, v6, sizeof(v6));
	ck_assert_int_eq(dns_parse_addr(p.b, p.n, "host.example", DNS_TYPE_AAAA, &list), DNS_OK);
	ck_assert_uint_eq(list.count, 3);
	ck_assert_int_eq(list.addr[2].family, AF_INET6);
	ck_assert_mem_eq(list.addr[2].addr, v6, sizeof(v6));

	start(&p, 0, 1, "host.example", DNS_TYPE_AAAA);	/* 4 bytes for an AAAA */
	add_addr(&p, NULL, DNS_TYPE_AAAA, a1, sizeof(a1));
	ck_assert_int_eq(dns_parse_addr(p.b, p.n, "host.example", DNS_TYPE_AAAA, &list),
			 DNS_INVALID);
	ck_assert_uint_eq(list.count, 3);
	start(&p, 0, 0, "host.example", DNS_TYPE_AAAA);
	ck_assert_int_eq(dns_parse_addr(p.b, p.n, "host.example", DNS_TYPE_AAAA, &list),
			 DNS_NOTFOUND);
	ck_assert_uint_eq(list.count, 3);
}
END_TEST

Suite *suite_dns(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("dns");

	tcase_add_test(tc, test_mx_answer);
	tcase_add_test(tc, test_compression);
	tcase_add_test(tc, test_pointer_loops);
	tcase_add_test(tc, test_pointer_cycle);
	tcase_add_test(tc, test_extended_label);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_rdlength);
	tcase_add_test(tc, test_cname_chain);
	tcase_add_test(tc, test_cname_loop);
	tcase_add_test(tc, test_equal_preference);
	tcase_add_test(tc, test_many_mx);
	tcase_add_test(tc, test_null_mx);
	tcase_add_test(tc, test_mx_target);
	tcase_add_test(tc, test_rcodes);
	tcase_add_test(tc, test_not_our_answer);
	tcase_add_test(tc, test_addresses);
	suite_add_tcase(s, tc);
	return s;
}
