/*-------------------------------------------------------------------------
 *
 * src/due_time.c
 *	  When data falls due, and the cutoff that lets an index find it.
 *
 * due(anchor) = boundary(anchor) + period, computed in the category's time
 * zone: the anchor is turned into local wall-clock time, truncated to the
 * boundary (exact, end of day, end of month, end of year), the period is
 * added on the local calendar ("12 months after the end of the month"), and
 * the result is turned back into an instant.  A timestamp (without time
 * zone) anchor is read as local time in that zone; a date anchor as its
 * local midnight.
 *
 * Enforcement compares the raw anchor column with a cutoff computed once per
 * run, so an index on the anchor serves it.  The cutoff is the largest
 * anchor value whose due time has passed, found by bisection: due() is
 * non-decreasing except in dips of at most a few days (a daylight-saving
 * fall-back hour, where the local clock repeats; month-end clamping, where
 * 28 and 31 January both end up on 28 February).  To stay exact there, rows
 * within CUTOFF_MARGIN of the cutoff are also checked with due() itself:
 * see retention_cutoff().
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "common/int.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"

#include "pg_retention.h"

/*
 * Half-width of the band around the cutoff re-checked with due().  due()
 * dips back by at most 3 days where months are added to a day of the month
 * that may not exist (31 January + 1 month is 28 February, as is 28 January
 * + 1 month), and by a daylight-saving hour in zones that have one; beyond
 * that it never decreases, so outside the band the comparison with the
 * cutoff is exact.  A rule with neither needs no band at all.
 */
#define CUTOFF_MARGIN_MONTHS_USECS	(INT64CONST(4) * USECS_PER_DAY)
#define CUTOFF_MARGIN_MONTHS_DAYS	4
#define CUTOFF_MARGIN_DST_USECS		(INT64CONST(3) * USECS_PER_HOUR)
#define CUTOFF_MARGIN_DST_DAYS		1

/* Zones without daylight saving time, spelled as pg_timezone_names does. */
static bool
zone_is_fixed(const char *zone)
{
	static const char *const fixed[] = {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/GMT", "GMT",
	"Etc/Greenwich", "Greenwich", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu"};

	for (int i = 0; i < lengthof(fixed); i++)
		if (strcmp(zone, fixed[i]) == 0)
			return true;
	return false;
}

/*
 * Due times later than this are "never due" (DT_NOEND): the result, or a
 * step on the way to it, would leave the range of timestamptz, or come
 * within a day of its end, where turning local time into an instant can
 * overflow.  Likewise anchors earlier than a day after the start of the range
 * are due since "always" (DT_NOBEGIN).
 */
#define LAST_DUE_TIME		(END_TIMESTAMP - USECS_PER_DAY)
#define FIRST_ANCHOR_TIME	(MIN_TIMESTAMP + USECS_PER_DAY)

/*
 * local_plus_interval
 *
 * ts + span as timestamp_pl_interval() computes it (months on the calendar,
 * clamped to the month's last day, then days, then time), but returns false
 * instead of raising an error where the result leaves the range.
 */
static bool
local_plus_interval(Timestamp ts, const Interval *span, Timestamp *result)
{
	if (TIMESTAMP_NOT_FINITE(ts))
	{
		*result = ts;
		return true;
	}
	if (span->month != 0)
	{
		struct pg_tm tt,
				   *tm = &tt;
		fsec_t		fsec;

		if (timestamp2tm(ts, NULL, tm, &fsec, NULL, NULL) != 0)
			return false;
		tm->tm_mon += span->month;
		if (tm->tm_mon > MONTHS_PER_YEAR)
		{
			tm->tm_year += (tm->tm_mon - 1) / MONTHS_PER_YEAR;
			tm->tm_mon = ((tm->tm_mon - 1) % MONTHS_PER_YEAR) + 1;
		}
		else if (tm->tm_mon < 1)
		{
			tm->tm_year += tm->tm_mon / MONTHS_PER_YEAR - 1;
			tm->tm_mon = tm->tm_mon % MONTHS_PER_YEAR + MONTHS_PER_YEAR;
		}
		if (tm->tm_mday > day_tab[isleap(tm->tm_year)][tm->tm_mon - 1])
			tm->tm_mday = day_tab[isleap(tm->tm_year)][tm->tm_mon - 1];
		if (tm2timestamp(tm, fsec, NULL, &ts) != 0)
			return false;
	}
	if (span->day != 0)
	{
		struct pg_tm tt,
				   *tm = &tt;
		fsec_t		fsec;
		int			julian;

		if (timestamp2tm(ts, NULL, tm, &fsec, NULL, NULL) != 0)
			return false;
		if (pg_add_s32_overflow(date2j(tm->tm_year, tm->tm_mon, tm->tm_mday),
								span->day, &julian))
			return false;
		j2date(julian, &tm->tm_year, &tm->tm_mon, &tm->tm_mday);
		if (tm2timestamp(tm, fsec, NULL, &ts) != 0)
			return false;
	}
	if (pg_add_s64_overflow(ts, span->time, &ts) || !IS_VALID_TIMESTAMP(ts))
		return false;
	*result = ts;
	return true;
}

/* The boundary of a local anchor; false where it is out of range. */
static bool
local_boundary(Timestamp local, RetentionStarts starts, Timestamp *result)
{
	const char *unit;
	Interval	step;

	if (starts == RETENTION_STARTS_EXACT)
	{
		*result = local;
		return true;
	}
	memset(&step, 0, sizeof(step));
	switch (starts)
	{
		case RETENTION_STARTS_END_OF_DAY:
			unit = "day";
			step.day = 1;
			break;
		case RETENTION_STARTS_END_OF_MONTH:
			unit = "month";
			step.month = 1;
			break;
		default:
			unit = "year";
			step.month = MONTHS_PER_YEAR;
			break;
	}
	local = DatumGetTimestamp(DirectFunctionCall2(timestamp_trunc,
												  CStringGetTextDatum(unit),
												  TimestampGetDatum(local)));
	return local_plus_interval(local, &step, result);
}

/* due time of a local (wall-clock) anchor, as an instant */
static TimestampTz
due_of_local(Timestamp local, const RetentionRule *rule)
{
	Timestamp	due;

	if (TIMESTAMP_NOT_FINITE(local))
		return local;
	if (local < FIRST_ANCHOR_TIME)
		return DT_NOBEGIN;
	if (!local_boundary(local, rule->starts, &due) ||
		!local_plus_interval(due, &rule->period, &due) ||
		due > LAST_DUE_TIME)
		return DT_NOEND;
	/* UTC, the default zone, is wall-clock time itself */
	if (strcmp(rule->time_zone, "UTC") == 0)
		return (TimestampTz) due;
	return DatumGetTimestampTz(DirectFunctionCall2(timestamp_zone,
												   CStringGetTextDatum(rule->time_zone),
												   TimestampGetDatum(due)));
}

/*
 * retention_due_time
 *
 * The instant an anchor value of the given type falls due under the rule.
 * Never raises for a value PostgreSQL can store: a due time beyond the range
 * of timestamptz (far-future anchors such as date '5874897-12-31', or
 * 'infinity') is DT_NOEND, "never due"; an anchor at the very start of the
 * range is DT_NOBEGIN, due since always.
 */
TimestampTz
retention_due_time(Datum anchor, Oid type, const RetentionRule *rule)
{
	Timestamp	local;
	int			overflow = 0;

	switch (type)
	{
		case TIMESTAMPTZOID:
			if (TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(anchor)))
				return DatumGetTimestampTz(anchor);
			/* the zone's offset is under a day: conversion stays in range */
			if (DatumGetTimestampTz(anchor) > LAST_DUE_TIME)
				return DT_NOEND;
			if (DatumGetTimestampTz(anchor) < FIRST_ANCHOR_TIME)
				return DT_NOBEGIN;
			if (strcmp(rule->time_zone, "UTC") == 0)
				local = (Timestamp) DatumGetTimestampTz(anchor);
			else
				local = DatumGetTimestamp(DirectFunctionCall2(timestamptz_zone,
															  CStringGetTextDatum(rule->time_zone),
															  anchor));
			break;
		case TIMESTAMPOID:
			local = DatumGetTimestamp(anchor);
			break;
		case DATEOID:
			/* dates reach far beyond timestamps: 5874897 AD */
			local = date2timestamp_opt_overflow(DatumGetDateADT(anchor), &overflow);
			if (overflow > 0)
				return DT_NOEND;
			if (overflow < 0)
				return DT_NOBEGIN;
			break;
		default:
			elog(ERROR, "unexpected anchor type %u", type);
	}
	return due_of_local(local, rule);
}

/*
 * retention_cutoff
 *
 * For enforcement as of instant "now": *cutoff is the largest anchor value
 * that is due by now, *safe a value below which every anchor is due even
 * where due() is irregular, *upper the end of the band to re-check.  Enforcement selects
 *
 *	 anchor <= upper AND (anchor <= safe OR due(anchor) <= now)
 *
 * which an index on the anchor serves and which is exact.  Values are
 * returned as Datums of the anchor's type.
 */
void
retention_cutoff(Oid type, const RetentionRule *rule, TimestampTz now,
				 Datum *cutoff, Datum *safe, Datum *upper)
{
	int64		lo,
				hi,
				top,
				margin;

	bool		clamps = rule->period.month != 0 &&
	(rule->starts == RETENTION_STARTS_EXACT || rule->starts == RETENTION_STARTS_END_OF_DAY);
	bool		dst = !zone_is_fixed(rule->time_zone);

	/*
	 * Bisection over the anchor's own integer representation, up to the end
	 * of the type's range (hi itself is never evaluated: past the range,
	 * where nothing is due), so that a preview far in the future counts far
	 * anchors too.
	 */
	if (type == DATEOID)
	{
		lo = -2000000;			/* about 3500 BC: earlier than any anchor */
		hi = DATE_END_JULIAN - POSTGRES_EPOCH_JDATE;
		margin = clamps ? CUTOFF_MARGIN_MONTHS_DAYS : dst ? CUTOFF_MARGIN_DST_DAYS : 0;
	}
	else
	{
		lo = INT64CONST(-200000000) * USECS_PER_SEC * 1000;
		hi = END_TIMESTAMP;
		margin = clamps ? CUTOFF_MARGIN_MONTHS_USECS : dst ? CUTOFF_MARGIN_DST_USECS : 0;
	}

	/* invariant: due(lo) <= now < due(hi) (or lo is below any real anchor) */
	top = hi - 1;
	/* unsigned: hi - lo exceeds INT64_MAX for timestamps */
	while ((uint64) hi - (uint64) lo > 1)
	{
		int64		mid = lo + (int64) (((uint64) hi - (uint64) lo) / 2);
		Datum		value = (type == DATEOID) ? DateADTGetDatum((DateADT) mid)
		: Int64GetDatum(mid);

		if (retention_due_time(value, type, rule) <= now)
			lo = mid;
		else
			hi = mid;
	}
	*cutoff = (type == DATEOID) ? DateADTGetDatum((DateADT) lo) : Int64GetDatum(lo);
	/* the band stays inside the range */
	if (type == DATEOID)
	{
		*safe = DateADTGetDatum((DateADT) (lo - margin));
		*upper = DateADTGetDatum((DateADT) Min(lo + margin, top));
	}
	else
	{
		*safe = Int64GetDatum(lo - margin);
		*upper = Int64GetDatum(Min(lo + margin, top));
	}
}

RetentionStarts
retention_starts_from_name(const char *name)
{
	if (strcmp(name, "end_of_day") == 0)
		return RETENTION_STARTS_END_OF_DAY;
	if (strcmp(name, "end_of_month") == 0)
		return RETENTION_STARTS_END_OF_MONTH;
	if (strcmp(name, "end_of_year") == 0)
		return RETENTION_STARTS_END_OF_YEAR;
	if (strcmp(name, "exact") == 0)
		return RETENTION_STARTS_EXACT;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid boundary \"%s\"", name),
			 errhint("starts is one of exact, end_of_day, end_of_month, end_of_year.")));
	return RETENTION_STARTS_EXACT;	/* keep compiler quiet */
}

/*
 * retention_due_time_sql
 *
 * retention.due_time(anchor timestamptz|timestamp|date, period interval,
 *                    starts text, time_zone text) RETURNS timestamptz
 *
 * When data anchored at that value falls due under that rule.  NULL anchor:
 * NULL (never due); a due time beyond the range of timestamptz: 'infinity'
 * (never due), never an error.
 */
PG_FUNCTION_INFO_V1(retention_due_time_sql);

Datum
retention_due_time_sql(PG_FUNCTION_ARGS)
{
	RetentionRule rule;
	Oid			type = get_fn_expr_argtype(fcinfo->flinfo, 0);

	static const char *const argnames[] = {"anchor", "period", "starts", "time_zone"};

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	for (int i = 1; i < lengthof(argnames); i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not be NULL", argnames[i]),
					 errhint("Pass a category's rule (period, starts, time_zone), e.g. from retention.category.")));
	rule.period = *PG_GETARG_INTERVAL_P(1);
	rule.starts = retention_starts_from_name(text_to_cstring(PG_GETARG_TEXT_PP(2)));
	rule.time_zone = text_to_cstring(PG_GETARG_TEXT_PP(3));
	PG_RETURN_TIMESTAMPTZ(retention_due_time(PG_GETARG_DATUM(0), type, &rule));
}
