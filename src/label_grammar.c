/*-------------------------------------------------------------------------
 *
 * src/label_grammar.c
 *	  The retention label grammar: text to RetentionLabel and back.
 *
 * A label is a list of key=value pairs separated by white space:
 *
 *	 category=support_data anchor=resolved_at
 *	 category=end_user_identifiers anchor=sent_at action=nullify subject=phone
 *	 category=account_user_data anchor=account_id->account.relationship_ended_at
 *	 subject=email
 *
 * Identifiers follow SQL rules (unquoted ones are folded to lower case,
 * double quotes keep case and allow any character).  The parser is strict:
 * unknown or repeated keys, spaces around "=", and trailing garbage are
 * errors.  Nothing here touches the catalogs, and nothing is ever executed:
 * a label is data.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "pg_retention.h"

#define MAX_KEEP		64
#define MAX_BUCKET		INT64CONST(1000000000000000)

static const char *const action_names[] = {
	[RETENTION_ACTION_NONE] = "none",
	[RETENTION_ACTION_DELETE] = "delete",
	[RETENTION_ACTION_NULLIFY] = "nullify",
	[RETENTION_ACTION_DEFAULT] = "default",
	[RETENTION_ACTION_HASH] = "hash",
	[RETENTION_ACTION_MASK] = "mask",
	[RETENTION_ACTION_GENERALIZE] = "generalize",
};

#define GRAMMAR_HINT \
	"A retention label is key=value pairs separated by spaces, for example " \
	"\"category=support_data anchor=resolved_at\"; keys are category, anchor, " \
	"action, subject, keep, bucket, partitions, when, period, variant, blocked and suppress."

typedef struct LabelScanner
{
	const char *input;
	const char *pos;
	RetentionProblem *problem;
} LabelScanner;

/* 1-based character position of the scanner, for messages. */
static int
scanner_position(LabelScanner *s)
{
	return pg_mbstrlen_with_len(s->input, s->pos - s->input) + 1;
}

static bool
fail(LabelScanner *s, int sqlerrcode, const char *message, const char *hint)
{
	char	   *detail;

	if (*s->pos == '\0')
		detail = psprintf("The label ends at position %d.",
						  scanner_position(s));
	else
		detail = psprintf("Unexpected \"%.*s\" at position %d.",
						  pg_mblen(s->pos), s->pos, scanner_position(s));
	retention_set_problem(s->problem, sqlerrcode, message, detail, hint);
	return false;
}

static inline bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline bool
is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		IS_HIGHBIT_SET(c);
}

static inline bool
is_ident_char(unsigned char c)
{
	/* Unlike SQL, "$" is not accepted unquoted: labels never carry "$$". */
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

/*
 * scan_identifier
 *
 * One SQL identifier, unquoted (folded to lower case) or double-quoted.
 * Returns NULL and fills the problem on error.
 */
static char *
scan_identifier(LabelScanner *s, const char *what)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (*s->pos == '"')
	{
		s->pos++;
		for (;;)
		{
			if (*s->pos == '\0')
			{
				fail(s, ERRCODE_SYNTAX_ERROR,
					 psprintf("unterminated quoted identifier in %s", what),
					 "Close the identifier with a double quote; write \"\" for a double quote inside it.");
				return NULL;
			}
			if (*s->pos == '"')
			{
				if (s->pos[1] != '"')
					break;
				s->pos++;
			}
			appendStringInfoChar(&buf, *s->pos);
			s->pos++;
		}
		s->pos++;
		if (buf.len == 0)
		{
			fail(s, ERRCODE_SYNTAX_ERROR,
				 psprintf("zero-length quoted identifier in %s", what),
				 "Write a name between the double quotes.");
			return NULL;
		}
	}
	else
	{
		if (!is_ident_start((unsigned char) *s->pos))
		{
			fail(s, ERRCODE_SYNTAX_ERROR,
				 psprintf("expected an identifier for %s", what),
				 "Identifiers start with a letter or \"_\" and contain letters, digits and \"_\"; use double quotes for other names.");
			return NULL;
		}
		while (is_ident_char((unsigned char) *s->pos))
		{
			char		c = *s->pos;

			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			appendStringInfoChar(&buf, c);
			s->pos++;
		}
	}
	if (buf.len >= NAMEDATALEN)
	{
		fail(s, ERRCODE_NAME_TOO_LONG,
			 psprintf("identifier in %s is too long", what),
			 psprintf("Identifiers are at most %d bytes.", NAMEDATALEN - 1));
		return NULL;
	}
	return buf.data;
}

/* A bare lower-case word (action names); NULL with a problem if none. */
static char *
scan_word(LabelScanner *s, const char *what)
{
	const char *start = s->pos;
	StringInfoData buf;

	initStringInfo(&buf);
	while ((*s->pos >= 'a' && *s->pos <= 'z') ||
		   (*s->pos >= 'A' && *s->pos <= 'Z') || *s->pos == '_')
	{
		appendStringInfoChar(&buf, pg_ascii_tolower((unsigned char) *s->pos));
		s->pos++;
	}
	if (s->pos == start)
	{
		fail(s, ERRCODE_SYNTAX_ERROR, psprintf("expected a word for %s", what),
			 GRAMMAR_HINT);
		return NULL;
	}
	return buf.data;
}

/* An unsigned decimal integer within [min, max]. */
static bool
scan_integer(LabelScanner *s, const char *key, int64 min, int64 max,
			 int64 *result)
{
	const char *start = s->pos;
	int64		value = 0;

	while (*s->pos >= '0' && *s->pos <= '9')
	{
		if (value > max)
			break;
		value = value * 10 + (*s->pos - '0');
		s->pos++;
	}
	if (s->pos == start)
		return fail(s, ERRCODE_SYNTAX_ERROR,
					psprintf("expected a whole number for %s", key),
					psprintf("Write %s=N with N from " INT64_FORMAT " to " INT64_FORMAT ".",
							 key, min, max));
	if (value < min || value > max || (*s->pos >= '0' && *s->pos <= '9'))
	{
		s->pos = start;
		return fail(s, ERRCODE_INVALID_PARAMETER_VALUE,
					psprintf("%s is out of range", key),
					psprintf("Write %s=N with N from " INT64_FORMAT " to " INT64_FORMAT ".",
							 key, min, max));
	}
	*result = value;
	return true;
}

/* ----------------------------------------------------------------
 * The 0.2.0 policy model: anchor lists, latest(), when=, period=, variant=
 * ----------------------------------------------------------------
 */

#define MAX_ANCHOR_ITEMS 8

static inline void
skip_spaces(LabelScanner *s)
{
	while (is_space(*s->pos))
		s->pos++;
}

/*
 * scan_item
 *
 * column | fkcol->[schema.]table.column | latest([schema.]table.column
 * [via fkcol]) (the last only where allow_latest).
 */
static bool
scan_item(LabelScanner *s, const char *what, bool allow_latest,
		  RetentionItem *item)
{
	char	   *names[3];
	int			n = 0;
	bool		latest = false;

	memset(item, 0, sizeof(RetentionItem));
	if (pg_strncasecmp(s->pos, "latest(", 7) == 0)
	{
		if (!allow_latest)
			return fail(s, ERRCODE_SYNTAX_ERROR,
						psprintf("latest() cannot be used in %s", what),
						"latest(table.column) is an anchor item; period and variant name a column.");
		latest = true;
		s->pos += 7;
		skip_spaces(s);
	}
	else
	{
		item->column = scan_identifier(s, what);
		if (item->column == NULL)
			return false;
		item->kind = RETENTION_ITEM_COLUMN;
		if (s->pos[0] != '-' || s->pos[1] != '>')
			return true;
		s->pos += 2;
	}

	for (;;)
	{
		names[n] = scan_identifier(s, what);
		if (names[n] == NULL)
			return false;
		n++;
		if (*s->pos != '.' || n == 3)
			break;
		s->pos++;
	}
	if (n < 2)
		return fail(s, ERRCODE_SYNTAX_ERROR,
					latest ? "latest() needs a table and a column"
					: psprintf("foreign-key path in %s needs a table and a column", what),
					latest ? "Write latest(table.column) or latest(schema.table.column via fkcol)."
					: psprintf("Write %s=fkcol->table.column or %s=fkcol->schema.table.column.", what, what));
	item->schema = (n == 3) ? names[0] : NULL;
	item->table = names[n - 2];
	item->other_column = names[n - 1];
	if (!latest)
	{
		item->kind = RETENTION_ITEM_FK;
		return true;
	}

	item->kind = RETENTION_ITEM_LATEST;
	skip_spaces(s);
	if (pg_strncasecmp(s->pos, "via", 3) == 0 && is_space(s->pos[3]))
	{
		s->pos += 3;
		skip_spaces(s);
		item->via = scan_identifier(s, what);
		if (item->via == NULL)
			return false;
		skip_spaces(s);
	}
	if (*s->pos != ')')
		return fail(s, ERRCODE_SYNTAX_ERROR, "expected \")\" to close latest(",
					"Write latest(table.column) or latest(table.column via fkcol).");
	s->pos++;
	return true;
}

/*
 * anchor=item  or  anchor=item|item|...  (due when the first item is due)
 * or  anchor=item,item,...  (due when the last item is due).  One item that
 * is a column or a foreign-key path also fills the 0.1.0 fields.
 */
static bool
scan_anchor(LabelScanner *s, RetentionLabel *label)
{
	for (;;)
	{
		RetentionItem *item = palloc(sizeof(RetentionItem));

		if (!scan_item(s, "anchor", true, item))
			return false;
		label->anchor_items = lappend(label->anchor_items, item);
		if (*s->pos != '|' && *s->pos != ',')
			break;
		if (label->anchor_mode != '\0' && label->anchor_mode != *s->pos)
			return fail(s, ERRCODE_SYNTAX_ERROR,
						"anchor list mixes \"|\" and \",\"",
						"Write anchor=a|b (due when the first of them is due) or anchor=a,b (due when the last of them is due), not both.");
		if (list_length(label->anchor_items) == MAX_ANCHOR_ITEMS)
			return fail(s, ERRCODE_PROGRAM_LIMIT_EXCEEDED,
						"too many anchor items",
						psprintf("An anchor list has at most %d items.", MAX_ANCHOR_ITEMS));
		label->anchor_mode = *s->pos;
		s->pos++;
	}
	if (list_length(label->anchor_items) == 1)
	{
		RetentionItem *item = linitial(label->anchor_items);

		if (item->kind != RETENTION_ITEM_LATEST)
		{
			label->anchor_column = item->column;
			label->anchor_via_fk = (item->kind == RETENTION_ITEM_FK);
			label->anchor_schema = item->schema;
			label->anchor_table = item->table;
			label->anchor_parent_column = item->other_column;
		}
	}
	return true;
}

/* when='expression': a single-quoted value, '' for a quote inside it */
static bool
scan_quoted(LabelScanner *s, const char *what, char **value)
{
	StringInfoData buf;
	const char *start = s->pos;

	if (*s->pos != '\'')
		return fail(s, ERRCODE_SYNTAX_ERROR,
					psprintf("expected a single-quoted value for %s", what),
					psprintf("Write %s='...', with '' for a single quote inside the value.", what));
	s->pos++;
	initStringInfo(&buf);
	for (;;)
	{
		if (*s->pos == '\0')
			return fail(s, ERRCODE_SYNTAX_ERROR,
						psprintf("unterminated quoted value in %s", what),
						"Close the value with a single quote; write '' for a single quote inside it.");
		if (*s->pos == '\'')
		{
			if (s->pos[1] != '\'')
				break;
			s->pos++;
		}
		appendStringInfoChar(&buf, *s->pos);
		s->pos++;
	}
	s->pos++;
	if (buf.len > RETENTION_MAX_CONDITION)
	{
		retention_set_problem(s->problem, ERRCODE_PROGRAM_LIMIT_EXCEEDED,
							  psprintf("value of %s is too long", what),
							  psprintf("The value has %d bytes; at most %d are allowed, also once normalized.",
									   buf.len, RETENTION_MAX_CONDITION),
							  "Shorten the condition, e.g. test a column against a shorter list.");
		return false;
	}
	if (strspn(buf.data, " \t\n\r") == (size_t) buf.len)
	{
		s->pos = start;
		return fail(s, ERRCODE_SYNTAX_ERROR, psprintf("empty value for %s", what),
					"Write a boolean expression over the row's columns, for example when='kind = ''person'''.");
	}
	*value = buf.data;
	return true;
}

/* An item as label text. */
char *
retention_item_to_text(const RetentionItem *item)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (item->kind == RETENTION_ITEM_LATEST)
		appendStringInfoString(&buf, "latest(");
	else
	{
		appendStringInfoString(&buf, quote_identifier(item->column));
		if (item->kind == RETENTION_ITEM_COLUMN)
			return buf.data;
		appendStringInfoString(&buf, "->");
	}
	if (item->schema)
		appendStringInfo(&buf, "%s.", quote_identifier(item->schema));
	appendStringInfo(&buf, "%s.%s", quote_identifier(item->table),
					 quote_identifier(item->other_column));
	if (item->kind == RETENTION_ITEM_LATEST)
	{
		if (item->via)
			appendStringInfo(&buf, " via %s", quote_identifier(item->via));
		appendStringInfoChar(&buf, ')');
	}
	return buf.data;
}

/* The anchor of a label as written after "anchor=" (canonical form). */
char *
retention_anchor_to_text(const RetentionLabel *label)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, label->anchor_items)
	{
		if (foreach_current_index(lc) > 0)
			appendStringInfoChar(&buf, label->anchor_mode);
		appendStringInfoString(&buf, retention_item_to_text(lfirst(lc)));
	}
	return buf.data;
}

/* A value in single quotes, quotes doubled. */
static char *
quoted_value(const char *value)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '\'');
	for (const char *p = value; *p; p++)
	{
		if (*p == '\'')
			appendStringInfoChar(&buf, '\'');
		appendStringInfoChar(&buf, *p);
	}
	appendStringInfoChar(&buf, '\'');
	return buf.data;
}

/* ---------------------------------------------------------------- */

/* subject kinds are plain lower-case words: email, phone, customer_id */
static bool
valid_subject_kind(const char *kind)
{
	const char *p;

	if (!(kind[0] >= 'a' && kind[0] <= 'z'))
		return false;
	for (p = kind; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

/*
 * The keys that say what happens to due rows beyond deleting them (issue 14
 * items 6 and 7): blocked=wait|anonymize|expected and suppress=true|false.
 * Kept apart from the switch above so that the two groups of keys evolve
 * independently.
 */
static bool
is_action_key(const char *key)
{
	return strcmp(key, "blocked") == 0 || strcmp(key, "suppress") == 0;
}

/* After the separator of the pair, as the main loop does. */
static bool
end_of_pair(LabelScanner *s, const char *key)
{
	if (*s->pos != '\0' && !is_space(*s->pos))
		return fail(s, ERRCODE_SYNTAX_ERROR,
					psprintf("unexpected text after the value of \"%s\"", key),
					GRAMMAR_HINT);
	while (is_space(*s->pos))
		s->pos++;
	return true;
}

/*
 * scan_action_key
 *
 * Scans "=value" of blocked or suppress (s->pos just after the key) into
 * *label, and the white space after it.  A repeated key is an error.
 */
static bool
scan_action_key(LabelScanner *s, const char *key_start, const char *key,
				RetentionLabel *label)
{
	bool		is_blocked = (strcmp(key, "blocked") == 0);
	const char *value_start;
	char	   *word;

	if (is_blocked ? label->blocked != RETENTION_BLOCKED_DEFAULT : label->suppress >= 0)
	{
		s->pos = key_start;
		return fail(s, ERRCODE_SYNTAX_ERROR,
					psprintf("key \"%s\" appears more than once in retention label", key),
					"Give each key once.");
	}
	if (*s->pos != '=')
		return fail(s, ERRCODE_SYNTAX_ERROR,
					psprintf("expected \"=\" after key \"%s\"", key),
					"Write key=value pairs without spaces around \"=\".");
	s->pos++;
	value_start = s->pos;
	word = scan_word(s, key);
	if (word == NULL)
		return false;
	if (is_blocked)
	{
		if (strcmp(word, "wait") == 0)
			label->blocked = RETENTION_BLOCKED_WAIT;
		else if (strcmp(word, "anonymize") == 0)
			label->blocked = RETENTION_BLOCKED_ANONYMIZE;
		else if (strcmp(word, "expected") == 0)
			label->blocked = RETENTION_BLOCKED_EXPECTED;
		else
		{
			s->pos = value_start;
			return fail(s, ERRCODE_INVALID_PARAMETER_VALUE,
						psprintf("unknown blocked value \"%s\" in retention label", word),
						"blocked is wait (a due row that other rows still reference stays whole until it can go), anonymize (its personal columns are anonymized now) or expected (it waits, and that is no alarm).");
		}
	}
	else
	{
		if (strcmp(word, "true") == 0)
			label->suppress = 1;
		else if (strcmp(word, "false") == 0)
			label->suppress = 0;
		else
		{
			s->pos = value_start;
			return fail(s, ERRCODE_INVALID_PARAMETER_VALUE,
						psprintf("unknown suppress value \"%s\" in retention label", word),
						"suppress is true (rows deleted by enforcement leave their identifiers on the suppression list) or false.");
		}
	}
	return end_of_pair(s, key);
}

/* The canonical text of the keys above, appended to buf. */
static void
action_keys_to_text(StringInfo buf, const RetentionLabel *label)
{
	if (label->blocked != RETENTION_BLOCKED_DEFAULT)
		appendStringInfo(buf, " blocked=%s",
						 label->blocked == RETENTION_BLOCKED_WAIT ? "wait" :
						 label->blocked == RETENTION_BLOCKED_ANONYMIZE ? "anonymize" : "expected");
	if (label->suppress >= 0)
		appendStringInfo(buf, " suppress=%s", label->suppress ? "true" : "false");
}

/*
 * retention_parse_label
 *
 * Parses input (the label's text) into *label.  Returns false and fills *problem (SQLSTATE,
 * message, detail with the position, hint) on the first error.  Does not
 * check the label against the catalogs: see retention_resolve_tag.
 */
bool
retention_parse_label(const char *input, RetentionLabel *label,
					  RetentionProblem *problem)
{
	LabelScanner s = {input, input, problem};
	bool		seen_keys[10] = {false};
	static const char *const keys[10] = {
		"category", "anchor", "action", "subject", "keep", "bucket", "partitions",
		"when", "period", "variant"
	};

	memset(label, 0, sizeof(RetentionLabel));
	label->keep = -1;
	label->suppress = -1;
	memset(problem, 0, sizeof(RetentionProblem));

	while (is_space(*s.pos))
		s.pos++;
	if (*s.pos == '\0')
	{
		retention_set_problem(problem, ERRCODE_SYNTAX_ERROR,
							  "empty retention label", NULL,
							  "To remove a tag, use SECURITY LABEL ... IS NULL or retention.untag().");
		return false;
	}

	while (*s.pos != '\0')
	{
		const char *key_start = s.pos;
		char	   *key;
		int			k;

		key = scan_word(&s, "a key");
		if (key == NULL)
			return false;
		for (k = 0; k < lengthof(keys); k++)
			if (strcmp(key, keys[k]) == 0)
				break;
		if (k == lengthof(keys) && is_action_key(key))
		{
			if (!scan_action_key(&s, key_start, key, label))
				return false;
			continue;
		}
		if (k == lengthof(keys))
		{
			s.pos = key_start;
			return fail(&s, ERRCODE_SYNTAX_ERROR,
						psprintf("unknown key \"%s\" in retention label", key),
						"Valid keys are category, anchor, action, subject, keep, bucket, partitions, when, period, variant, blocked and suppress.");
		}
		if (seen_keys[k])
		{
			s.pos = key_start;
			return fail(&s, ERRCODE_SYNTAX_ERROR,
						psprintf("key \"%s\" appears more than once in retention label", key),
						"Give each key once.");
		}
		seen_keys[k] = true;
		if (*s.pos != '=')
			return fail(&s, ERRCODE_SYNTAX_ERROR,
						psprintf("expected \"=\" after key \"%s\"", key),
						"Write key=value pairs without spaces around \"=\".");
		s.pos++;

		switch (k)
		{
			case 0:
				label->category = scan_identifier(&s, "category");
				if (label->category == NULL)
					return false;
				break;
			case 1:
				if (!scan_anchor(&s, label))
					return false;
				break;
			case 2:
				{
					const char *value_start = s.pos;
					char	   *word = scan_word(&s, "action");

					if (word == NULL)
						return false;
					label->action = retention_action_from_name(word);
					if (label->action == RETENTION_ACTION_NONE)
					{
						s.pos = value_start;
						return fail(&s, ERRCODE_INVALID_PARAMETER_VALUE,
									psprintf("unknown action \"%s\" in retention label", word),
									"Valid actions are delete (tables) and nullify, default, hash, mask, generalize (columns).");
					}
					break;
				}
			case 3:
				{
					const char *value_start = s.pos;

					label->subject = scan_identifier(&s, "subject");
					if (label->subject == NULL)
						return false;
					if (!valid_subject_kind(label->subject))
					{
						s.pos = value_start;
						return fail(&s, ERRCODE_INVALID_PARAMETER_VALUE,
									"invalid subject kind in retention label",
									"A subject kind is a lower-case word such as email, phone or customer_id.");
					}
					break;
				}
			case 4:
				{
					int64		keep;

					if (!scan_integer(&s, "keep", 0, MAX_KEEP, &keep))
						return false;
					label->keep = (int) keep;
					break;
				}
			case 5:
				if (!scan_integer(&s, "bucket", 1, MAX_BUCKET, &label->bucket))
					return false;
				break;
			case 6:
				{
					const char *value_start = s.pos;
					char	   *word = scan_word(&s, "partitions");

					if (word == NULL)
						return false;
					if (strcmp(word, "drop") == 0)
						label->partitions = RETENTION_PARTITIONS_DROP;
					else if (strcmp(word, "detach") == 0)
						label->partitions = RETENTION_PARTITIONS_DETACH;
					else if (strcmp(word, "rows") == 0)
						label->partitions = RETENTION_PARTITIONS_ROWS;
					else
					{
						s.pos = value_start;
						return fail(&s, ERRCODE_INVALID_PARAMETER_VALUE,
									psprintf("unknown partitions value \"%s\" in retention label", word),
									"partitions is drop (wholly expired partitions are dropped), detach (detached and kept) or rows (rows are deleted one by one).");
					}
					break;
				}
			case 7:
				if (!scan_quoted(&s, "when", &label->when))
					return false;
				break;
			case 8:
				label->period = palloc(sizeof(RetentionItem));
				if (!scan_item(&s, "period", false, label->period))
					return false;
				break;
			case 9:
				label->variant = palloc(sizeof(RetentionItem));
				if (!scan_item(&s, "variant", false, label->variant))
					return false;
				break;
		}

		if (*s.pos != '\0' && !is_space(*s.pos))
			return fail(&s, ERRCODE_SYNTAX_ERROR,
						psprintf("unexpected text after the value of \"%s\"", key),
						GRAMMAR_HINT);
		while (is_space(*s.pos))
			s.pos++;
	}
	return true;
}

/*
 * retention_label_to_text
 *
 * The canonical text of a label: keys in a fixed order, identifiers quoted
 * only where SQL needs it.  Parsing the result gives the same label.
 */
char *
retention_label_to_text(const RetentionLabel *label)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (label->category)
		appendStringInfo(&buf, " category=%s", quote_identifier(label->category));
	if (label->anchor_items)
		appendStringInfo(&buf, " anchor=%s", retention_anchor_to_text(label));
	if (label->action != RETENTION_ACTION_NONE)
		appendStringInfo(&buf, " action=%s", retention_action_name(label->action));
	if (label->subject)
		appendStringInfo(&buf, " subject=%s", label->subject);
	if (label->keep >= 0)
		appendStringInfo(&buf, " keep=%d", label->keep);
	if (label->bucket > 0)
		appendStringInfo(&buf, " bucket=" INT64_FORMAT, label->bucket);
	if (label->partitions != RETENTION_PARTITIONS_DEFAULT)
		appendStringInfo(&buf, " partitions=%s",
						 label->partitions == RETENTION_PARTITIONS_DROP ? "drop" :
						 label->partitions == RETENTION_PARTITIONS_DETACH ? "detach" : "rows");
	if (label->when)
		appendStringInfo(&buf, " when=%s", quoted_value(label->when));
	if (label->period)
		appendStringInfo(&buf, " period=%s", retention_item_to_text(label->period));
	if (label->variant)
		appendStringInfo(&buf, " variant=%s", retention_item_to_text(label->variant));
	action_keys_to_text(&buf, label);
	return pstrdup(buf.len > 0 ? buf.data + 1 : "");
}

const char *
retention_action_name(RetentionAction action)
{
	Assert(action >= 0 && action < lengthof(action_names));
	return action_names[action];
}

/* The action of that name, or RETENTION_ACTION_NONE if there is none. */
RetentionAction
retention_action_from_name(const char *name)
{
	int			i;

	for (i = RETENTION_ACTION_DELETE; i < lengthof(action_names); i++)
		if (strcmp(name, action_names[i]) == 0)
			return (RetentionAction) i;
	return RETENTION_ACTION_NONE;
}
