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
        if (context.Arguments.OfType<T>().FirstOrDefault() is { } argument)
        {
            var result = await validator.ValidateAsync(argument, context.HttpContext.RequestAborted);
            var errors = result.ToDictionary();
            foreach (var (field, messages) in StorableText.Check(argument))
            {
                errors[field] = errors.TryGetValue(field, out var others) ? [.. messages, .. others] : messages; // the unstorable text first: nothing else about it matters
            }

            if (errors.Count > 0)
            {
                return TypedResults.ValidationProblem(errors);
            }
        }
        else
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "A JSON request body is required.");
        }

        return await next(context);
    }
}

internal static class ValidationFilterExtensions
{
    public static RouteHandlerBuilder Validate<T>(this RouteHandlerBuilder builder) =>
        builder.AddEndpointFilter<ValidationFilter<T>>().ProducesValidationProblem();
}
