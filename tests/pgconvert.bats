# cvx-pg-load's value converters (tools/cvx-pg-load/copy.c) through
# build/tests/pgconvert: epoch milliseconds to PostgreSQL time text,
# base64, Convex's $float and $integer payloads, int64 text, COPY escaping.
# Formats: convex-export-format.md §3.1; PostgreSQL docs, COPY, Text Format.

bats_require_minimum_version 1.5.0
load test_helper

setup_file() {
	export PC=$CVX_BUILD/tests/pgconvert
}

setup() {
	[ -x "$PC" ] || require "$PC is not built (make all)"
}

# conv MODE [ARG] -- INPUT... EXPECTED...: each input gives its expected
# line, in order (the two lists have the same length).
conv() {
	local args=() ins=() outs=() i got
	while [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	shift
	local n=$(($# / 2))
	ins=("${@:1:n}")
	outs=("${@:n+1}")
	mapfile -t got < <("$PC" "${args[@]}" "${ins[@]}")
	[ "${#got[@]}" -eq "$n" ] || fail "${args[*]}: ${#got[@]} lines for $n inputs"
	for ((i = 0; i < n; i++)); do
		[ "${got[i]}" = "${outs[i]}" ] ||
		    fail "${args[*]} [${ins[i]}]: got '${got[i]}', want '${outs[i]}'"
	done
}

@test "epoch ms become timestamptz text in UTC, to the microsecond" {
	conv value timestamptz -- \
	    0 1700000000000 1700000000000.5 1e3 1.5e-3 \
	    '1970-01-01 00:00:00.000000+00' \
	    '2023-11-14 22:13:20.000000+00' \
	    '2023-11-14 22:13:20.000500+00' \
	    '1970-01-01 00:00:01.000000+00' \
	    '1970-01-01 00:00:00.000002+00'
}

@test "epoch ms become timestamp and date text" {
	conv value timestamp -- 1700000000000.5 1.0005 null \
	    '2023-11-14 22:13:20.000500' '1970-01-01 00:00:00.001000' '\N'
	conv value date -- 1700000000000 0 -1 -86400000 -86400001 \
	    2023-11-14 1970-01-01 1969-12-31 1969-12-31 1969-12-30
}

@test "epoch ms round half to even at the microsecond, exactly" {
	conv us -- 0.0005 0.0015 0.0025 0.0035 -0.0005 -0.0015 \
	    0.00049999 0.00050001 1.2345678e2 1.0005 1.0015 \
	    0 2 2 4 0 -2 0 1 123457 1000 1002
}

@test "negative epoch ms are before 1970" {
	conv value timestamptz -- -1 -0.5 -1.0005 -1000 \
	    '1969-12-31 23:59:59.999000+00' \
	    '1969-12-31 23:59:59.999500+00' \
	    '1969-12-31 23:59:59.999000+00' \
	    '1969-12-31 23:59:59.000000+00'
}

@test "epoch ms are taken from 4713 BC on, years before 1 with BC" {
	conv value timestamptz -- -62135596800000 253402300799999.999 \
	    -62135596800001 253402300800000 -210863520000000 \
	    -210863520000000.001 1e400 \
	    '0001-01-01 00:00:00.000000+00' \
	    '9999-12-31 23:59:59.999999+00' \
	    '0001-12-31 23:59:59.999000+00 BC' \
	    '10000-01-01 00:00:00.000000+00' \
	    '4713-01-01 00:00:00.000000+00 BC' \
	    'error: epoch milliseconds out of range' \
	    'error: epoch milliseconds out of range'
	conv value date -- 253402300799999 -62135596800001 \
	    9999-12-31 '0001-12-31 BC'
	conv value timestamp -- -63517780800000.0 \
	    '0044-03-15 12:00:00.000000 BC'
}

@test "epoch ms: any exponent whose value fits (fuzz: exponent-*)" {
	conv us -- 0e310 0.0e+105 1e-200 -1e-1000000000000 \
	    0.0000000000000000000000000000000000000000000000000000000000001e+61 \
	    0.0000000000000000000000000000000000000000000000000000000000001e+105 \
	    1e15 1e16 1E+2 \
	    0 0 0 0 1000 error 1000000000000000000 error 100000
}

@test "epoch ms: every digit counts, however many (fuzz: digits-*)" {
	z60=000000000000000000000000000000000000000000000000000000000000
	# A tie broken by a nonzero digit 70 places on rounds up.
	conv us -- "0.0005${z60}0000000001" "0.0005${z60}0000000000" \
	    "0.0015${z60}" "${z60}0000001.5" "1${z60}0000000000e-70" \
	    "-0.0005${z60}1" \
	    1 0 2 1500 1000 -1
	# An integer part of 64 digits or more, with leading zeros.
	conv us -- "${z60}00001000" "-${z60}00001.0000e3" 1000000 -1000000
}

@test "epoch ms to microseconds stops at the int64 limit" {
	conv us -- 9223372036854775.807 9223372036854775.808 1e400 -1 \
	    9223372036854775807 error error -1000
}

@test "base64 decodes with padding, or without" {
	conv base64 -- QQ== QQ QUI= QUI QUJD '' AAEC/w== +/+/ \
	    41 41 4142 4142 414243 '' 000102ff fbffbf
}

@test "base64 refuses bad characters and bad padding" {
	conv base64 -- 'Q!==' 'QQ=' 'QQ===' 'Q===' 'QQ==QQ==' 'QR==' 'Q' \
	    'QQ-_' \
	    error error error error error error error error
}

@test "\$float payloads: NaN, infinities, -0, doubles to 17 digits" {
	conv float -- AAAAAAAA+H8= AAAAAAAA8H8= AAAAAAAA8P8= AAAAAAAAAIA= \
	    AAAAAAAAAAA= AAAAAAAA8D8= mpmZmZmZuT8= AAAAAAAA8L8= \
	    NaN Infinity -Infinity -0 0 1 0.10000000000000001 -1
}

@test "\$float and \$integer payloads must be 8 bytes of base64" {
	conv float -- AAAAAAAA8D AAAAAAAAAAAAAA== 'AAAAAAAA8D8!' '' \
	    error error error error
	conv integer -- AQ== AAAAAAAAAAAAAA== '' error error error
}

@test "\$integer payloads are little-endian int64" {
	conv integer -- AQAAAAAAAAA= //////////8= AAAAAAAAAIA= /////////38= \
	    AAAAAAAAAAA= \
	    1 -1 -9223372036854775808 9223372036854775807 0
}

@test "\$float and \$integer go to float, numeric and integer columns" {
	conv value float8 -- '{"$float":"AAAAAAAA+H8="}' \
	    '{"$float":"AAAAAAAAAIA="}' '{"$integer":"AQAAAAAAAAA="}' \
	    '{"$float":"x"}' \
	    NaN -0 1 'error: invalid $float'
	conv value numeric -- '{"$float":"AAAAAAAA8H8="}' \
	    '{"$integer":"AAAAAAAAAIA="}' Infinity -9223372036854775808
	conv value int8 -- '{"$integer":"//////////8="}' '{"$integer":"AQ=="}' \
	    -1 'error: invalid $integer'
}

@test "int64 numbers keep their token text, beyond 2^53 too" {
	conv value int8 -- 9223372036854775807 -9223372036854775808 \
	    9007199254740993 12345678901234567890 -0 \
	    9223372036854775807 -9223372036854775808 \
	    9007199254740993 12345678901234567890 -0
	conv value numeric -- 1.50 1e400 1.50 1e400
}

@test "bytea takes \$bytes and legacy base64 strings as hex" {
	conv value bytea -- '{"$bytes":"AAEC/w=="}' '"AAEC/w=="' '""' \
	    '{"$bytes":"A!=="}' 1 \
	    '\\x000102ff' '\\x000102ff' '\\x' \
	    'error: invalid base64 in $bytes' \
	    'error: a number cannot be loaded into this type'
}

@test "bytea: a legacy base64 string is decoded as JSON first (\\/)" {
	conv value bytea -- '"AAEC\/w=="' '"\u0041AEC/w=="' '"AAEC\\w=="' \
	    '\\x000102ff' '\\x000102ff' 'error: invalid base64 for bytea'
}

@test "COPY escaping: backslash, newline, carriage return, tab" {
	conv escape -- 'plain' $'a\tb' 'a\b' $'a\nb' $'a\rb' $'\\\t\n\r' \
	    $'é\x01' \
	    'plain' 'a\tb' 'a\\b' 'a\nb' 'a\rb' '\\\t\n\r' $'é\x01'
}

@test "strings are decoded, then COPY-escaped" {
	conv value text -- '"a\tb\\\\c\nd"' '"\u00e9\/"' '"\r"' '{"a":1}' \
	    '[1,"x"]' true 12 null \
	    'a\tb\\\\c\nd' 'é/' '\r' '{"a":1}' '[1,"x"]' true 12 '\N'
}

@test "U+0000 follows --nul" {
	conv value text -- '"a\u0000b"' 'error: U+0000 (\u0000) in a string'
	conv nul strip text -- '"a\u0000b"' ab
	conv nul replace text -- '"a\u0000b"' $'a\xef\xbf\xbdb'
	conv value jsonb -- '{"a":"\u0000"}' \
	    'error: U+0000 (\u0000) in a string'
	conv nul strip jsonb -- '{"a":"\u0000"}' '{"a":""}'
}

@test "json keeps its text, COPY-escaped; arrays become array literals" {
	conv value jsonb -- '{"a":"x\ty"}' '"s"' '{"a":"x\\ty"}' '"s"'
	conv value 'int8[]' -- '[1,2,null]' '[]' '{"1","2",NULL}' '{}'
	conv value 'text[]' -- '["a b","c\"d",null,"NULL",""]' \
	    '{"a b","c\\"d",NULL,"NULL",""}'
}

@test "arrays: a JSON array in a jsonb[] is an element, elsewhere a dimension" {
	conv value 'jsonb[]' -- '[{"a":1},[1,2],null]' \
	    '{"{\\"a\\":1}","[1,2]",NULL}'
	conv value 'int4[]' -- '[[1,2],[3,4]]' '{{"1","2"},{"3","4"}}'
	conv value 'timestamptz[]' -- '[1.5,null]' \
	    '{"1970-01-01 00:00:00.001500+00",NULL}'
	conv value 'bytea[]' -- '[{"$bytes":"AQ=="}]' '{"\\\\x01"}'
}

@test "a whole float goes to an integer column as its integer" {
	conv value int8 -- 5.0 -0.0 1e3 -7.00e1 1.5 1e19 12 \
	    5 0 1000 -70 1.5 1e19 12
	conv value 'int4[]' -- '[1.0,2e0,null]' '{"1","2",NULL}'
	conv value numeric -- 5.0 5.0
}
