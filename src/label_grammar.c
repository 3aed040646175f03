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
	"action, subject, keep, bucket and partitions."

typedef struct LabelScanner
{
	const char *text;
	const char *pos;
	RetentionProblem *problem;
} LabelScanner;

/* 1-based character position of the scanner, for messages. */
static int
scanner_position(LabelScanner *s)
{
	return pg_mbstrlen_with_len(s->text, s->pos - s->text) + 1;
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

/* anchor=column  or  anchor=fkcol->[schema.]table.column */
static bool
scan_anchor(LabelScanner *s, RetentionLabel *label)
{
	char	   *names[3];
	int			n = 0;

	label->anchor_column = scan_identifier(s, "anchor");
	if (label->anchor_column == NULL)
		return false;
	if (s->pos[0] != '-' || s->pos[1] != '>')
		return true;

	s->pos += 2;
	label->anchor_via_fk = true;
	for (;;)
	{
		names[n] = scan_identifier(s, "anchor");
		if (names[n] == NULL)
			return false;
		n++;
		if (*s->pos != '.' || n == 3)
			break;
		s->pos++;
	}
	if (n < 2)
		return fail(s, ERRCODE_SYNTAX_ERROR,
					"foreign-key anchor needs a table and a column",
					"Write anchor=fkcol->table.column or anchor=fkcol->schema.table.column.");
	label->anchor_schema = (n == 3) ? names[0] : NULL;
	label->anchor_table = names[n - 2];
	label->anchor_parent_column = names[n - 1];
	return true;
}

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
 * retention_parse_label
 *
 * Parses text into *label.  Returns false and fills *problem (SQLSTATE,
 * message, detail with the position, hint) on the first error.  Does not
 * check the label against the catalogs: see retention_resolve_tag.
 */
bool
retention_parse_label(const char *text, RetentionLabel *label,
					  RetentionProblem *problem)
{
	LabelScanner s = {text, text, problem};
	bool		seen_keys[7] = {false};
	static const char *const keys[7] = {
		"category", "anchor", "action", "subject", "keep", "bucket", "partitions"
	};

	memset(label, 0, sizeof(RetentionLabel));
	label->keep = -1;
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
		if (k == lengthof(keys))
		{
			s.pos = key_start;
			return fail(&s, ERRCODE_SYNTAX_ERROR,
						psprintf("unknown key \"%s\" in retention label", key),
						"Valid keys are category, anchor, action, subject, keep, bucket and partitions.");
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

/* The anchor of a label as written after "anchor=", canonical. */
static void
append_anchor(StringInfo buf, const RetentionLabel *label)
{
	appendStringInfoString(buf, quote_identifier(label->anchor_column));
	if (label->anchor_via_fk)
	{
		appendStringInfoString(buf, "->");
		if (label->anchor_schema)
			appendStringInfo(buf, "%s.", quote_identifier(label->anchor_schema));
		appendStringInfo(buf, "%s.%s", quote_identifier(label->anchor_table),
						 quote_identifier(label->anchor_parent_column));
	}
}

/*
 * retention_anchor_to_text
 *
 * The anchor of a label alone, canonical, as retention.tags shows it: the
 * value of the anchor key and nothing of the other keys.  The label must
 * have an anchor.
 */
char *
retention_anchor_to_text(const RetentionLabel *label)
{
	StringInfoData buf;

	Assert(label->anchor_column != NULL);
	initStringInfo(&buf);
	append_anchor(&buf, label);
	return buf.data;
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
	if (label->anchor_column)
	{
		appendStringInfoString(&buf, " anchor=");
		append_anchor(&buf, label);
	}
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
