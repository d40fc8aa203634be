namespace Compliance.Classifiers.Text;

/// <summary>
/// Descriptive sentences that stand for each content context. A prompt's score for a context is its
/// best cosine similarity to one of them, so each anchor describes one typical *scene* of the context
/// in the words a video prompt would use, not a definition. Changing an anchor changes the score
/// distribution: re-run the calibration (docs/content-contexts.md) and update the thresholds.
/// </summary>
internal static class ContentContextAnchors
{
    internal sealed record Anchor(string Context, string[] Sentences);

    internal static readonly Anchor[] All =
    [
        new(ContentContextClassifier.Violence,
        [
            "a violent fight with weapons and blood",
            "a man is shot with a gun and falls bleeding",
            "a brutal street brawl, people punching and kicking each other",
            "soldiers shooting and killing each other in a bloody battle",
            "a stabbing with a knife, blood on the floor",
            "an explosion kills people, bodies in the rubble",
            "someone is beaten, tortured and badly injured",
            "a warrior kills his opponent with a sword or spear",
        ]),
        new(ContentContextClassifier.Sexual,
        [
            "a sexually explicit scene of two people having sex",
            "a nude woman posing naked in an erotic way",
            "a seductive striptease, undressing slowly in lingerie",
            "a steamy erotic sex scene in a bedroom",
            "pornographic content with nudity",
            "a sensual lap dance in a strip club",
        ]),
        new(ContentContextClassifier.Political,
        [
            "a political campaign rally for a presidential candidate",
            "a politician giving a speech about an election",
            "the president signing a law in the government office",
            "protesters marching against the government with banners",
            "a debate between political parties before the vote",
            "propaganda poster supporting a political party",
            "members of parliament arguing over a new law",
            "voters casting ballots on election day",
        ]),
        new(ContentContextClassifier.Drugs,
        [
            "a person smoking a marijuana joint",
            "snorting lines of cocaine off a table",
            "a drug dealer selling pills and powder on a street corner",
            "injecting heroin with a syringe",
            "a meth lab cooking illegal drugs",
            "people high on drugs at a rave, taking ecstasy",
            "a cannabis plantation with weed being harvested",
            "a junkie passed out with a needle in his arm",
        ]),
        new(ContentContextClassifier.Alcohol,
        [
            "people drinking beer at a bar",
            "pouring a glass of red wine",
            "a bartender mixing cocktails with vodka and whiskey",
            "friends doing shots of tequila at a party",
            "a drunk man stumbling out of a pub",
            "a champagne toast at a celebration",
            "cooking with wine, pouring it into the pan",
        ]),
        new(ContentContextClassifier.Gambling,
        [
            "people gambling at a casino poker table",
            "a slot machine hitting the jackpot",
            "placing bets at a roulette wheel",
            "a sports betting app showing the odds",
            "playing blackjack for money with chips",
            "buying lottery tickets and scratch cards",
            "betting on horse races at the racetrack",
        ]),
        new(ContentContextClassifier.Horror,
        [
            "a terrifying horror movie scene with a monster",
            "a haunted house with ghosts in the dark",
            "a zombie crawling out of a grave",
            "a creepy demon possessing a girl",
            "a scary nightmare with a shadowy creature screaming",
            "a horror film jump scare in an abandoned asylum",
            "a serial killer with a mask stalking victims at night",
            "a gory body horror scene with a grotesque creature",
            "a cursed spirit crawling toward the camera in a scary film",
        ]),
        new(ContentContextClassifier.Hate,
        [
            "racist hate speech insulting an ethnic group",
            "a neo-Nazi rally with swastika flags",
            "a crowd harassing people because of their religion",
            "graffiti with slurs against immigrants",
            "a white supremacist propaganda video",
            "mocking and dehumanizing gay people",
            "an extremist group spreading hatred against a minority",
            "racist abuse of a black person by a crowd",
            "people insulting and spitting on a muslim woman",
        ]),
        new(ContentContextClassifier.Advertising,
        [
            "a television commercial advertising a product",
            "a promotional video for a brand with the logo and slogan",
            "buy now, limited time offer, fifty percent off",
            "an influencer promoting a sponsored product",
            "a marketing ad for a new smartphone",
            "a billboard advertisement for a car brand",
            "a product showcase ending with the company's call to action",
            "a fast food commercial promoting a new menu item",
        ]),
        new(ContentContextClassifier.Children,
        [
            "young children playing in a playground",
            "a little girl and boy at school in a classroom",
            "a baby and toddlers with their toys",
            "a little girl blowing out the candles on her birthday cake",
            "a child riding a bicycle in the park",
            "a newborn baby sleeping",
            "a young boy playing alone",
            "a small child drawing and painting",
            "a cartoon for kids with a child as the main character",
        ]),
    ];
}
