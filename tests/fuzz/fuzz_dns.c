/*
 * fuzz_dns: a DNS answer packet, as the resolver hands it to the SMTP
 * client, into dns_parse_mx (a question for MX of example.org) and
 * dns_parse_addr (A and AAAA of the same name); an MX list that parses
 * is then sorted as the client sorts it.
 */
#include "dns.h"
#include "harness.h"

#define FUZZ_DNS_NAME "example.org"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dns_mx_list_t mx;
	dns_addr_list_t addrs;

	harness_quiet();
	if (dns_parse_mx(data, size, FUZZ_DNS_NAME, &mx) == DNS_OK)
		dns_mx_sort(&mx);
	addrs.count = 0;
	(void)dns_parse_addr(data, size, FUZZ_DNS_NAME, DNS_TYPE_A, &addrs);
	(void)dns_parse_addr(data, size, FUZZ_DNS_NAME, DNS_TYPE_AAAA, &addrs);
	return 0;
}
