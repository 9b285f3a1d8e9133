using System.Text;
using DurableMigration.Migration;

namespace DurableMigration.Application;

/// <summary>How <c>dmig</c> names states for people: lower-case words (<c>RolledBack</c> → "rolled back"); JSON keeps the enum names.</summary>
public static class Words
{
    /// <summary>An enum value or a PascalCase/camelCase name as lower-case words.</summary>
    public static string Of(string name)
    {
        var words = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0 && name[i - 1] != ' ')
            {
                words.Append(' ');
            }

            words.Append(char.ToLowerInvariant(name[i]));
        }

        return words.ToString();
    }

    /// <inheritdoc cref="Of(string)"/>
    public static string Of<T>(T value)
        where T : struct, Enum => Of(value.ToString());

    /// <summary>A database state as operators read it: <c>AwaitingApproval</c> → "awaiting approval".</summary>
    public static string Display(DatabaseState state) => Of(state);
}
