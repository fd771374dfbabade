/* QR symbol capacity, from ISO/IEC 18004:2015 Table 7 ("Number of symbol
 * characters and input data capacity for QR Code").
 *
 * The capacities are the standard's, copied as published; the data
 * codewords (same table) and the segment costs of clause 7.4 reproduce them,
 * and tests/unit/test_chunk.c checks both against each other and against
 * the version libqrencode actually picks, at every level. */
#include "phr/chunk.h"

#include <stdint.h>

/* Data codewords of one symbol ("number of data codewords"), versions 1..40,
 * levels L, M, Q, H. */
static const uint16_t data_codewords[41][4] = {
	{ 0, 0, 0, 0 },
	{   19,   16,   13,    9 }, {   34,   28,   22,   16 }, {   55,   44,   34,   26 }, {   80,   64,   48,   36 }, /* V1-4 */
	{  108,   86,   62,   46 }, {  136,  108,   76,   60 }, {  156,  124,   88,   66 }, {  194,  154,  110,   86 }, /* V5-8 */
	{  232,  182,  132,  100 }, {  274,  216,  154,  122 }, {  324,  254,  180,  140 }, {  370,  290,  206,  158 }, /* V9-12 */
	{  428,  334,  244,  180 }, {  461,  365,  261,  197 }, {  523,  415,  295,  223 }, {  589,  453,  325,  253 }, /* V13-16 */
	{  647,  507,  367,  283 }, {  721,  563,  397,  313 }, {  795,  627,  445,  341 }, {  861,  669,  485,  385 }, /* V17-20 */
	{  932,  714,  512,  406 }, { 1006,  782,  568,  442 }, { 1094,  860,  614,  464 }, { 1174,  914,  664,  514 }, /* V21-24 */
	{ 1276, 1000,  718,  538 }, { 1370, 1062,  754,  596 }, { 1468, 1128,  808,  628 }, { 1531, 1193,  871,  661 }, /* V25-28 */
	{ 1631, 1267,  911,  701 }, { 1735, 1373,  985,  745 }, { 1843, 1455, 1033,  793 }, { 1955, 1541, 1115,  845 }, /* V29-32 */
	{ 2071, 1631, 1171,  901 }, { 2191, 1725, 1231,  961 }, { 2306, 1812, 1286,  986 }, { 2434, 1914, 1354, 1054 }, /* V33-36 */
	{ 2566, 1992, 1426, 1096 }, { 2702, 2102, 1502, 1142 }, { 2812, 2216, 1582, 1222 }, { 2956, 2334, 1666, 1276 }, /* V37-40 */
};

/* Data capacity in characters, alphanumeric mode. */
static const uint16_t cap_alnum[41][4] = {
	{ 0, 0, 0, 0 },
	{   25,   20,   16,   10 }, {   47,   38,   29,   20 }, {   77,   61,   47,   35 }, {  114,   90,   67,   50 }, /* V1-4 */
	{  154,  122,   87,   64 }, {  195,  154,  108,   84 }, {  224,  178,  125,   93 }, {  279,  221,  157,  122 }, /* V5-8 */
	{  335,  262,  189,  143 }, {  395,  311,  221,  174 }, {  468,  366,  259,  200 }, {  535,  419,  296,  227 }, /* V9-12 */
	{  619,  483,  352,  259 }, {  667,  528,  376,  283 }, {  758,  600,  426,  321 }, {  854,  656,  470,  365 }, /* V13-16 */
	{  938,  734,  531,  408 }, { 1046,  816,  574,  452 }, { 1153,  909,  644,  493 }, { 1249,  970,  702,  557 }, /* V17-20 */
	{ 1352, 1035,  742,  587 }, { 1460, 1134,  823,  640 }, { 1588, 1248,  890,  672 }, { 1704, 1326,  963,  744 }, /* V21-24 */
	{ 1853, 1451, 1041,  779 }, { 1990, 1542, 1094,  864 }, { 2132, 1637, 1172,  910 }, { 2223, 1732, 1263,  958 }, /* V25-28 */
	{ 2369, 1839, 1322, 1016 }, { 2520, 1994, 1429, 1080 }, { 2677, 2113, 1499, 1150 }, { 2840, 2238, 1618, 1226 }, /* V29-32 */
	{ 3009, 2369, 1700, 1307 }, { 3183, 2506, 1787, 1394 }, { 3351, 2632, 1867, 1431 }, { 3537, 2780, 1966, 1530 }, /* V33-36 */
	{ 3729, 2894, 2071, 1591 }, { 3927, 3054, 2181, 1658 }, { 4087, 3220, 2298, 1774 }, { 4296, 3391, 2420, 1852 }, /* V37-40 */
};

/* Data capacity in characters, byte mode (8-bit bytes). */
static const uint16_t cap_byte[41][4] = {
	{ 0, 0, 0, 0 },
	{   17,   14,   11,    7 }, {   32,   26,   20,   14 }, {   53,   42,   32,   24 }, {   78,   62,   46,   34 }, /* V1-4 */
	{  106,   84,   60,   44 }, {  134,  106,   74,   58 }, {  154,  122,   86,   64 }, {  192,  152,  108,   84 }, /* V5-8 */
	{  230,  180,  130,   98 }, {  271,  213,  151,  119 }, {  321,  251,  177,  137 }, {  367,  287,  203,  155 }, /* V9-12 */
	{  425,  331,  241,  177 }, {  458,  362,  258,  194 }, {  520,  412,  292,  220 }, {  586,  450,  322,  250 }, /* V13-16 */
	{  644,  504,  364,  280 }, {  718,  560,  394,  310 }, {  792,  624,  442,  338 }, {  858,  666,  482,  382 }, /* V17-20 */
	{  929,  711,  509,  403 }, { 1003,  779,  565,  439 }, { 1091,  857,  611,  461 }, { 1171,  911,  661,  511 }, /* V21-24 */
	{ 1273,  997,  715,  535 }, { 1367, 1059,  751,  593 }, { 1465, 1125,  805,  625 }, { 1528, 1190,  868,  658 }, /* V25-28 */
	{ 1628, 1264,  908,  698 }, { 1732, 1370,  982,  742 }, { 1840, 1452, 1030,  790 }, { 1952, 1538, 1112,  842 }, /* V29-32 */
	{ 2068, 1628, 1168,  898 }, { 2188, 1722, 1228,  958 }, { 2303, 1809, 1283,  983 }, { 2431, 1911, 1351, 1051 }, /* V33-36 */
	{ 2563, 1989, 1423, 1093 }, { 2699, 2099, 1499, 1139 }, { 2809, 2213, 1579, 1219 }, { 2953, 2331, 1663, 1273 }, /* V37-40 */
};

/* Character count indicator bits (Table 3) for versions 1-9, 10-26, 27-40. */
static unsigned cci_bits(int mode, int version)
{
	static const unsigned bits[3][3] = {
		[PHR_QR_NUMERIC] = { 10, 12, 14 },
		[PHR_QR_ALNUM] = { 9, 11, 13 },
		[PHR_QR_BYTE] = { 8, 16, 16 },
	};
	return bits[mode][version <= 9 ? 0 : version <= 26 ? 1 : 2];
}

/* Bits of one segment (clause 7.4): mode indicator, count, data. SIZE_MAX
 * when the count does not fit its indicator. */
static size_t segment_bits(int mode, size_t n, int version)
{
	unsigned cci = cci_bits(mode, version);
	size_t data;
	if (n >= (size_t)1 << cci)
		return SIZE_MAX;
	if (mode == PHR_QR_NUMERIC)
		data = 10 * (n / 3) + (n % 3 == 1 ? 4 : n % 3 == 2 ? 7 : 0);
	else if (mode == PHR_QR_ALNUM)
		data = 11 * (n / 2) + 6 * (n % 2);
	else
		data = 8 * n;
	return 4 + cci + data;
}

static int valid_ecc(int ecc)
{
	return ecc >= PHR_ECC_L && ecc <= PHR_ECC_H;
}

size_t phr_qr_capacity(int version, int ecc, int mode)
{
	if (version < 1 || version > 40 || !valid_ecc(ecc))
		return 0;
	if (mode == PHR_CHUNK_BASE45)
		return cap_alnum[version][ecc];
	if (mode == PHR_CHUNK_BYTES)
		return cap_byte[version][ecc];
	return 0;
}

int phr_qr_version_for(size_t len, int ecc, int mode)
{
	if (!valid_ecc(ecc) || (mode != PHR_CHUNK_BASE45 && mode != PHR_CHUNK_BYTES))
		return 0;
	for (int v = 1; v <= 40; v++)
		if (len <= phr_qr_capacity(v, ecc, mode))
			return v;
	return 0;
}

size_t phr_qr_data_bits(int version, int ecc)
{
	if (version < 1 || version > 40 || !valid_ecc(ecc))
		return 0;
	return (size_t)data_codewords[version][ecc] * 8;
}

int phr_qr_version_segments(const struct phr_qr_segment *seg, size_t n, int ecc)
{
	if (!valid_ecc(ecc) || (n && !seg))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (seg[i].mode < PHR_QR_NUMERIC || seg[i].mode > PHR_QR_BYTE)
			return 0;
	for (int v = 1; v <= 40; v++) {
		size_t bits = 0;
		for (size_t i = 0; i < n && bits != SIZE_MAX; i++) {
			size_t b = segment_bits(seg[i].mode, seg[i].len, v);
			bits = b == SIZE_MAX || b > SIZE_MAX - bits ? SIZE_MAX : bits + b;
		}
		if (bits <= phr_qr_data_bits(v, ecc))
			return v;
	}
	return 0;
}
