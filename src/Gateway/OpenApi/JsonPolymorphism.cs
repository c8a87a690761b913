using System.Reflection;
using System.Text.Json.Serialization;

namespace Gateway.OpenApi;

/// <summary>
/// Polymorphism comes from System.Text.Json's own attributes, the ones that would drive serialization: a type's
/// subtypes are its <see cref="JsonDerivedTypeAttribute"/>s and the discriminator is its
/// <see cref="JsonPolymorphicAttribute"/>. Swashbuckle's default (every subclass in the assembly) would, for example,
/// turn each ProblemDetails response into a oneOf with HttpValidationProblemDetails.
/// </summary>
internal static class JsonPolymorphism
{
    public static IEnumerable<Type> SubTypes(Type type) =>
        type.GetCustomAttributes<JsonDerivedTypeAttribute>(inherit: false).Select(a => a.DerivedType);

    public static string? DiscriminatorName(Type type) =>
        type.GetCustomAttribute<JsonPolymorphicAttribute>(inherit: false)?.TypeDiscriminatorPropertyName;

    public static string? DiscriminatorValue(Type subType) =>
        subType.BaseType?.GetCustomAttributes<JsonDerivedTypeAttribute>(inherit: false)
            .FirstOrDefault(a => a.DerivedType == subType)?.TypeDiscriminator?.ToString();
}
