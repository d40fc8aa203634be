using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;

namespace Compliance.Api.Infrastructure;

/// <summary>
/// Marks a request's text that is screened but never stored in (or compared against) a text column, so it may carry
/// any UTF-16: a prompt is recorded only inside the decision's JSON, where NUL and lone surrogates are escaped.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class NotStoredAttribute : Attribute;

/// <summary>
/// Text PostgreSQL can hold. A <c>text</c> value cannot contain U+0000, and the database's UTF-8 cannot encode a
/// lone UTF-16 surrogate (which JSON's <c>\ud800</c> escape produces); both used to reach the database and come
/// back as a 503 "retry", which a client would retry forever. Every string in every validated request body is
/// checked here (by <see cref="ValidationFilter{T}"/>, so no endpoint can forget it), as are multipart file names
/// and fields and CSV cells.
/// </summary>
internal static class StorableText
{
    private const int MaxDepth = 8;
    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> Properties = new();

    /// <summary>Why <paramref name="text"/> cannot be stored, or null when it can.</summary>
    public static string? Problem(string? text)
    {
        if (text is null)
        {
            return null;
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                return $"Contains U+0000 (NUL) at position {i}, which cannot be stored; remove it.";
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return $"Contains a lone UTF-16 surrogate (U+{(int)c:X4}) at position {i}, which is not valid Unicode and cannot be stored.";
            }
        }

        return null;
    }

    /// <summary>
    /// Every string reachable from a request object (properties, lists, nested records) that cannot be stored, keyed
    /// by FluentValidation's property path (<c>Aliases[1]</c>, <c>OwnAccounts[0].Account</c>) so the answer reads like
    /// any other validation problem.
    /// </summary>
    public static IReadOnlyDictionary<string, string[]> Check(object request)
    {
        // The dictionary is made only when something is wrong: this runs on every validated request, and nearly all are fine.
        Dictionary<string, string[]>? errors = null;
        Walk(request, "", ref errors, 0);
        return errors ?? NoErrors;
    }

    private static readonly Dictionary<string, string[]> NoErrors = [];

    private static void Walk(object? value, string path, ref Dictionary<string, string[]>? errors, int depth)
    {
        switch (value)
        {
            case null:
                return;
            case string text:
                if (Problem(text) is { } problem)
                {
                    (errors ??= [])[path] = [problem];
                }

                return;
            case IEnumerable items:
                var index = 0;
                foreach (var item in items)
                {
                    Walk(item, $"{path}[{index++}]", ref errors, depth + 1);
                }

                return;
        }

        var type = value.GetType();
        if (depth > MaxDepth || type.IsPrimitive || type.IsEnum || type.Namespace?.StartsWith("System", StringComparison.Ordinal) == true)
        {
            return; // numbers, Guids, dates: nothing to check
        }

        foreach (var property in Properties.GetOrAdd(type, Readable))
        {
            Walk(property.GetValue(value), path.Length == 0 ? property.Name : $"{path}.{property.Name}", ref errors, depth + 1);
        }
    }

    private static PropertyInfo[] Readable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<NotStoredAttribute>() is null)
            .ToArray();
}
