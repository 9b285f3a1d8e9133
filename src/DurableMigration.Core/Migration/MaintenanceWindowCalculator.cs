using DurableMigration.Manifest;

namespace DurableMigration.Migration;

/// <summary>When a daily maintenance window is open.</summary>
public static class MaintenanceWindowCalculator
{
    /// <summary>Returns <c>null</c> when <paramref name="utcNow"/> falls inside the window, else the UTC time it next opens.</summary>
    public static DateTime? NextOpening(MaintenanceWindow window, DateTime utcNow)
    {
        ArgumentNullException.ThrowIfNull(window);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(window.TimeZone);
        DateTime local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utcNow, DateTimeKind.Utc), zone);
        var time = TimeOnly.FromDateTime(local);
        bool crossesMidnight = window.End <= window.Start;
        bool open = crossesMidnight
            ? time >= window.Start || time < window.End
            : time >= window.Start && time < window.End;
        if (open)
        {
            return null;
        }

        DateTime opening = local.Date + window.Start.ToTimeSpan();
        if (opening <= local)
        {
            opening = opening.AddDays(1);
        }

        // An opening that falls into a daylight-saving gap does not exist locally; move past the gap.
        while (zone.IsInvalidTime(opening))
        {
            opening = opening.AddMinutes(15);
        }

        return TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(opening, DateTimeKind.Unspecified), zone);
    }
}
