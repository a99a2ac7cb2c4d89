/*
 * dns_parse: DNS replies (RFC 1035 4.1) read with every length checked
 * against the packet; see dns.h for the interface.
 *
 * Names are decoded in lower case. A compression pointer must point below
 * the start of the run of labels it ends, so every jump goes strictly
 * backwards and no packet can make the reader loop. A label byte outside
 * printable ASCII, or a dot inside a label, makes the answer malformed:
 * mail domains are host names. The reply must answer our question (one
 * question, same name and type, class IN). CNAMEs in the answer section
 * are followed from the name asked, whatever their order, at most
 * DNS_CNAME_MAX links; records owned by other names are ignored. An MX
 * target must be a host name (labels of letters, digits, "-" and "_", not
 * a bare address); "." is a null MX (RFC 7505), valid only alone and with
 * preference 0.
 */
#include <ctype.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"

#define DNS_HEADER_LEN 12
#define DNS_QUESTION_FIXED_LEN 4	/* type, class */
#define DNS_RR_FIXED_LEN 10		/* type, class, TTL, data length */
#define DNS_WIRE_NAME_MAX 255		/* a name's encoded length (RFC 1035 2.3.4) */
#define DNS_LABEL_KIND 0xc0		/* the top bits of a label's length byte */
#define DNS_LABEL_POINTER 0xc0		/* ... for a compression pointer */
#define DNS_POINTER_HIGH 0x3f		/* the pointer's offset bits in that byte */
#define DNS_FLAG_QR 0x8000		/* the message is a response */
#define DNS_RCODE_MASK 0x000f
#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_NXDOMAIN 3
#define DNS_CLASS_IN 1
#define DNS_MX_PREF_LEN 2
#define DNS_A_LEN 4
#define DNS_AAAA_LEN 16

typedef struct dns_packet {
	const unsigned char *data;
	size_t len;
} dns_packet_t;

/* One record of the answer section: its owner, type and where its data is. */
typedef struct dns_rr {
	char owner[DNS_NAME_MAX + 1];
	unsigned type;
	unsigned cls;
	size_t rdata;
	size_t rdlen;
} dns_rr_t;

/* Called for each answer record of the type asked for; -1 if malformed. */
typedef int (*dns_rr_fn)(const dns_packet_t *pkt, const dns_rr_t *rr, void *ctx);

/* The 16-bit number at pos (the caller has checked pos + 2 <= len). */
static unsigned dns_get16(const dns_packet_t *pkt, size_t pos)
{
	return (unsigned)pkt->data[pos] << 8 | pkt->data[pos + 1];
}

static int dns_label_char(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '.';
}

/* Append one label of length len at pos to out (n bytes used); -1 if bad. */
static int dns_put_label(const dns_packet_t *pkt, size_t pos, size_t len, char *out, size_t *n)
{
	if (*n > 0)
		out[(*n)++] = '.';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = pkt->data[pos + i];

		if (!dns_label_char(c))
			return -1;
		out[(*n)++] = (char)tolower(c);
	}
	return 0;
}

/* The name at *pos into out (DNS_NAME_MAX + 1 bytes; "" for the root);
 * *pos moves past it. -1 when malformed. */
static int dns_read_name(const dns_packet_t *pkt, size_t *pos, char *out)
{
	size_t p = *pos;
	size_t limit = *pos;		/* a pointer must go below this */
	size_t wire = 1;		/* the root's length byte */
	size_t n = 0;
	int jumped = 0;

	for (;;) {
		unsigned c;

		if (p >= pkt->len)
			return -1;
		c = pkt->data[p];
		if ((c & DNS_LABEL_KIND) == DNS_LABEL_POINTER) {
			if (p + 1 >= pkt->len)
				return -1;
			if (!jumped)
				*pos = p + 2;
			jumped = 1;
			p = (size_t)(c & DNS_POINTER_HIGH) << 8 | pkt->data[p + 1];
			if (p >= limit)
				return -1;
			limit = p;
			continue;
		}
		if (c & DNS_LABEL_KIND)
			return -1;	/* obsolete extended label types */
		if (c == 0)
			break;
		wire += c + 1;
		if (wire > DNS_WIRE_NAME_MAX || c >= pkt->len - p
		    || dns_put_label(pkt, p + 1, c, out, &n) < 0)
			return -1;
		p += c + 1;
	}
	out[n] = 0;
	if (!jumped)
		*pos = p + 1;
	return 0;
}

/* The record at *pos; *pos moves past it. -1 when malformed. */
static int dns_read_rr(const dns_packet_t *pkt, size_t *pos, dns_rr_t *rr)
{
	if (dns_read_name(pkt, pos, rr->owner) < 0 || pkt->len - *pos < DNS_RR_FIXED_LEN)
		return -1;
	rr->type = dns_get16(pkt, *pos);
	rr->cls = dns_get16(pkt, *pos + 2);
	rr->rdlen = dns_get16(pkt, *pos + 8);
	rr->rdata = *pos + DNS_RR_FIXED_LEN;
	if (pkt->len - rr->rdata < rr->rdlen)
		return -1;
	*pos = rr->rdata + rr->rdlen;
	return 0;
}

/* A name as asked, in the decoder's form: lower case, no trailing dot. */
static int dns_norm_name(const char *name, char *out)
{
	size_t len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_NAME_MAX)
		return -1;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)name[i]);
	out[len] = 0;
	return 0;
}

/* The header and question: DNS_OK with *pos at the first answer record
 * and *count answers, or the status the reply gives. */
static int dns_read_head(const dns_packet_t *pkt, const char *name, unsigned type, size_t *pos,
			 unsigned *count)
{
	char qname[DNS_NAME_MAX + 1];
	unsigned rcode;

	if (pkt->len < DNS_HEADER_LEN || !(dns_get16(pkt, 2) & DNS_FLAG_QR))
		return DNS_INVALID;
	rcode = dns_get16(pkt, 2) & DNS_RCODE_MASK;
	if (rcode != DNS_RCODE_NOERROR && rcode != DNS_RCODE_NXDOMAIN)
		return DNS_RETRY;	/* SERVFAIL, REFUSED, ...: the server's trouble */
	*pos = DNS_HEADER_LEN;
	if (dns_get16(pkt, 4) != 1 || dns_read_name(pkt, pos, qname) < 0
	    || pkt->len - *pos < DNS_QUESTION_FIXED_LEN || strcmp(qname, name) != 0
	    || dns_get16(pkt, *pos) != type || dns_get16(pkt, *pos + 2) != DNS_CLASS_IN)
		return DNS_INVALID;
	*pos += DNS_QUESTION_FIXED_LEN;
	*count = dns_get16(pkt, 6);
	return rcode == DNS_RCODE_NXDOMAIN ? DNS_NOTFOUND : DNS_OK;
}

/* The CNAME of name among count answers at pos, into next: 1 found,
 * 0 none, -1 malformed. */
static int dns_find_cname(const dns_packet_t *pkt, size_t pos, unsigned count, const char *name,
			  char *next)
{
	dns_rr_t rr;

	for (unsigned i = 0; i < count; i++) {
		if (dns_read_rr(pkt, &pos, &rr) < 0)
			return -1;
		if (rr.type == DNS_TYPE_CNAME && rr.cls == DNS_CLASS_IN && strcmp(rr.owner, name) == 0) {
			size_t end = rr.rdata;

			if (dns_read_name(pkt, &end, next) < 0 || end != rr.rdata + rr.rdlen)
				return -1;
			return 1;
		}
	}
	return 0;
}

/* Call fn for each answer record of type owned by name or the end of its
 * CNAME chain: DNS_OK when the reply is well formed, else its status. */
static int dns_walk(const unsigned char *data, size_t len, const char *name, unsigned type,
		    dns_rr_fn fn, void *ctx)
{
	dns_packet_t pkt = { data, len };
	char owner[DNS_NAME_MAX + 1];
	char next[DNS_NAME_MAX + 1];
	size_t answers, pos;
	unsigned count;
	int status, found, links = 0;
	dns_rr_t rr;

	if (dns_norm_name(name, owner) < 0)
		return DNS_INVALID;
	if ((status = dns_read_head(&pkt, owner, type, &answers, &count)) != DNS_OK)
		return status;
	while ((found = dns_find_cname(&pkt, answers, count, owner, next)) > 0) {
		if (++links > DNS_CNAME_MAX)
			return DNS_INVALID;
		memcpy(owner, next, sizeof(owner));
	}
	if (found < 0)
		return DNS_INVALID;
	pos = answers;
	for (unsigned i = 0; i < count; i++) {
		if (dns_read_rr(&pkt, &pos, &rr) < 0)
			return DNS_INVALID;
		if (rr.type == type && rr.cls == DNS_CLASS_IN && strcmp(rr.owner, owner) == 0
		    && fn(&pkt, &rr, ctx) < 0)
			return DNS_INVALID;
	}
	return DNS_OK;
}

/* An MX target: labels of letters, digits, "-" and "_", no label starting
 * or ending with "-", and not all digits (a dotted address is no host). */
static int dns_host_name(const char *name)
{
	size_t label = 0;
	int non_digit = 0;

	for (const char *p = name;; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '.' || c == 0) {
			if (label == 0 || p[-1] == '-')
				return 0;
			if (c == 0)
				return non_digit;
			label = 0;
		} else if (isalnum(c) || c == '_' || (c == '-' && label > 0)) {
			non_digit |= !isdigit(c);
			label++;
		} else {
			return 0;
		}
	}
}

typedef struct dns_mx_ctx {
	dns_mx_list_t *list;
	int nulls;			/* "." targets seen */
	unsigned null_pref;
} dns_mx_ctx_t;

static int dns_take_mx(const dns_packet_t *pkt, const dns_rr_t *rr, void *ctx)
{
	dns_mx_ctx_t *mx = ctx;
	dns_mx_t rec;
	size_t end = rr->rdata + DNS_MX_PREF_LEN;

	if (rr->rdlen <= DNS_MX_PREF_LEN)
		return -1;
	rec.pref = dns_get16(pkt, rr->rdata);
	if (dns_read_name(pkt, &end, rec.host) < 0 || end != rr->rdata + rr->rdlen)
		return -1;
	if (rec.host[0] == 0) {
		mx->nulls++;
		mx->null_pref = rec.pref;
		return 0;
	}
	if (!dns_host_name(rec.host))
		return -1;
	if (mx->list->count < DNS_MX_MAX)
		mx->list->mx[mx->list->count++] = rec;
	return 0;
}

int dns_parse_mx(const unsigned char *pkt, size_t len, const char *name, dns_mx_list_t *list)
{
	dns_mx_ctx_t ctx = { list, 0, 0 };
	int status;

	list->count = 0;
	status = dns_walk(pkt, len, name, DNS_TYPE_MX, dns_take_mx, &ctx);
	if (status == DNS_OK && ctx.nulls > 0)
		status = ctx.nulls == 1 && list->count == 0 && ctx.null_pref == 0 ? DNS_NULLMX
										   : DNS_INVALID;
	else if (status == DNS_OK && list->count == 0)
		status = DNS_NOTFOUND;
	if (status != DNS_OK)
		list->count = 0;
	return status;
}

typedef struct dns_addr_ctx {
	dns_addr_list_t *list;
	int family;
	size_t len;			/* address bytes */
	size_t found;			/* records, kept or not */
} dns_addr_ctx_t;

static int dns_take_addr(const dns_packet_t *pkt, const dns_rr_t *rr, void *ctx)
{
	dns_addr_ctx_t *a = ctx;
	dns_addr_t *addr;

	if (rr->rdlen != a->len)
		return -1;
	a->found++;
	if (a->list->count == DNS_ADDR_MAX)
		return 0;
	addr = &a->list->addr[a->list->count++];
	memset(addr, 0, sizeof(*addr));
	addr->family = a->family;
	memcpy(addr->addr, pkt->data + rr->rdata, a->len);
	return 0;
}

int dns_parse_addr(const unsigned char *pkt, size_t len, const char *name, int type,
		   dns_addr_list_t *list)
{
	dns_addr_ctx_t ctx = { list, AF_INET, DNS_A_LEN, 0 };
	size_t before = list->count;
	int status;

	if (type == DNS_TYPE_AAAA) {
		ctx.family = AF_INET6;
		ctx.len = DNS_AAAA_LEN;
	} else if (type != DNS_TYPE_A) {
		return DNS_INVALID;
	}
	status = dns_walk(pkt, len, name, (unsigned)type, dns_take_addr, &ctx);
	if (status == DNS_OK && ctx.found == 0)
		status = DNS_NOTFOUND;
	if (status != DNS_OK)
		list->count = before;
	return status;
}
