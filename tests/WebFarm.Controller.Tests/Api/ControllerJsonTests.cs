using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using WebFarm.Controller.Api;
using WebFarm.Controller.Releases;

namespace WebFarm.Controller.Tests.Api;

/// <summary>
/// The controller's source-generated JSON (ControllerJsonContext), which lets the Native AOT build run the controller: it
/// writes every type byte for byte as the reflection-based serializer did before (the wire format and the stored
/// documents do not change), reads back what it writes, and has no reflection fallback left (a type missing from the
/// context fails in every build, so the JIT-built tests catch what the AOT build would).
/// </summary>
public sealed class ControllerJsonTests
{
    public static TheoryData<string> Roots()
    {
        var data = new TheoryData<string>();
        foreach (var type in RootTypes())
        {
            data.Add(type.FullName!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Roots))]
    public void Each_type_is_written_as_reflection_wrote_it(string typeName)
    {
        var type = RootTypes().Single(t => t.FullName == typeName);
        var sample = Sample(type, depth: 0);
        foreach (var options in new[] { ControllerJson.Options, ControllerJson.Protocol })
        {
            var reflection = new JsonSerializerOptions(options) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
            var generated = JsonSerializer.Serialize(sample, options.GetTypeInfo(type));
            Assert.Equal(JsonSerializer.Serialize(sample, reflection.GetTypeInfo(type)), generated);

            // And what it wrote reads back to the same document (the stores and the agent protocol read these).
            var back = JsonSerializer.Deserialize(generated, options.GetTypeInfo(type));
            Assert.Equal(generated, JsonSerializer.Serialize(back, options.GetTypeInfo(type)));
        }
    }

    [Fact]
    public void A_type_missing_from_the_generated_context_fails_in_every_build()
    {
        // With the reflection fallback the controller had, this serialized in the JIT build and failed only in Native AOT.
        Assert.Throws<NotSupportedException>(() => ControllerJson.Options.GetTypeInfo(typeof(Uri[])));
        Assert.Throws<NotSupportedException>(() => ControllerJson.Protocol.GetTypeInfo(typeof(Uri[])));
    }

    [Fact]
    public void The_answers_that_were_anonymous_types_keep_their_names()
    {
        Assert.Equal(
            """{"role":"standby","self":"http://a/","leader":null,"detail":"d"}""",
            JsonSerializer.Serialize(new ControllerStatus("standby", "http://a/", null, "d"), ControllerJson.Options.GetTypeInfo(typeof(ControllerStatus))));
        Assert.Equal(
            """{"sha256":"ab","stored":false}""",
            JsonSerializer.Serialize(new BlobStoreResult("ab", Stored: false), ControllerJson.Options.GetTypeInfo(typeof(BlobStoreResult))));
    }

    private static IEnumerable<Type> RootTypes() => typeof(ControllerJsonContext).GetCustomAttributesData()
        .Where(a => a.AttributeType == typeof(JsonSerializableAttribute))
        .Select(a => (Type)a.ConstructorArguments[0].Value!);

    /// <summary>A value of <paramref name="type"/> with every constructor parameter and settable property filled.</summary>
    private static object? Sample(Type type, int depth)
    {
        if (Nullable.GetUnderlyingType(type) is { } inner)
        {
            return Sample(inner, depth);
        }

        if (type == typeof(string))
        {
            return "text-" + depth;
        }

        if (type.IsEnum)
        {
            var values = Enum.GetValues(type);
            return values.GetValue(values.Length - 1);
        }

        if (type == typeof(int) || type == typeof(long) || type == typeof(double) || type == typeof(bool))
        {
            return Convert.ChangeType(type == typeof(bool) ? 1 : type == typeof(double) ? 12.5 : 7, type, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (type == typeof(DateTimeOffset))
        {
            return new DateTimeOffset(2026, 12, 6, 19, 30, 15, 123, TimeSpan.Zero);
        }

        if (type == typeof(TimeSpan))
        {
            return TimeSpan.FromSeconds(90.5);
        }

        if (type.IsGenericType && type.GetGenericArguments() is { Length: 2 } pair && typeof(IEnumerable).IsAssignableFrom(type))
        {
            var dictionary = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(pair))!;
            dictionary.Add(Sample(pair[0], depth + 1)!, Sample(pair[1], depth + 1));
            return dictionary;
        }

        if (type.IsArray || (type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type)))
        {
            var element = type.IsArray ? type.GetElementType()! : type.GetGenericArguments()[0];
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
            if (depth < 4)
            {
                list.Add(Sample(element, depth + 1));
            }

            return type.IsArray ? ToArray(list, element) : list;
        }

        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var value = constructor.Invoke(constructor.GetParameters().Select(p => Sample(p.ParameterType, depth + 1)).ToArray());
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is { IsPublic: true } && property.GetIndexParameters().Length == 0 && property.GetValue(value) is null)
            {
                property.SetValue(value, Sample(property.PropertyType, depth + 1));
            }
        }

        return value;
    }

    private static Array ToArray(IList list, Type element)
    {
        var array = Array.CreateInstance(element, list.Count);
        list.CopyTo(array, 0);
        return array;
    }
}
