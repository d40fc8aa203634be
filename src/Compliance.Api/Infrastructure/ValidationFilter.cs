using FluentValidation;

namespace Compliance.Api.Infrastructure;

/// <summary>
/// Runs the FluentValidation validator of the endpoint's <typeparamref name="T"/> argument, and checks every string in it
/// for text PostgreSQL cannot store (<see cref="StorableText"/>); answers 400 ValidationProblem naming each failing field.
/// </summary>
internal sealed class ValidationFilter<T>(IValidator<T> validator) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (Argument(context) is { } argument)
        {
            var result = await validator.ValidateAsync(argument, context.HttpContext.RequestAborted);
            var unstorable = StorableText.Check(argument);
            if (!result.IsValid || unstorable.Count > 0)
            {
                var errors = result.ToDictionary();
                foreach (var (field, messages) in unstorable)
                {
                    errors[field] = errors.TryGetValue(field, out var others) ? [.. messages, .. others] : messages; // the unstorable text first: nothing else about it matters
                }

                return TypedResults.ValidationProblem(errors);
            }
        }
        else
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "A JSON request body is required.");
        }

        return await next(context);
    }

    // The first argument of type T (a loop, not OfType().FirstOrDefault(): this runs on every validated request).
    private static T? Argument(EndpointFilterInvocationContext context)
    {
        for (var i = 0; i < context.Arguments.Count; i++)
        {
            if (context.Arguments[i] is T argument)
            {
                return argument;
            }
        }

        return default;
    }
}

internal static class ValidationFilterExtensions
{
    public static RouteHandlerBuilder Validate<T>(this RouteHandlerBuilder builder) =>
        builder.AddEndpointFilter<ValidationFilter<T>>().ProducesValidationProblem();
}
