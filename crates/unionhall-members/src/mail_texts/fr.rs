//! Mail in French.

use super::words::Words;

pub const WORDS: Words = Words {
    lang: "fr",
    confirm_subject: "Confirmez votre adresse e-mail sur {instance}",
    confirm: [
        "Quelqu'un (vous, espérons-le) a demandé à {instance} d'envoyer à cette adresse le courrier du compte {username}.",
        "Pour confirmer qu'elle est bien la vôtre, ouvrez ce lien dans les 48 heures :\n{link}",
        "Si ce n'était pas vous, ignorez ce message : rien d'autre ne sera envoyé ici.",
    ],
    reset_subject: "Changez votre mot de passe sur {instance}",
    reset: [
        "Quelqu'un a demandé à changer le mot de passe du compte {username} sur {instance}.",
        "Pour choisir un nouveau mot de passe, ouvrez ce lien dans l'heure. Il ne sert qu'une fois :\n{link}",
        "Si ce n'était pas vous, ignorez ce message : votre mot de passe reste le même.",
    ],
    invitation_subject: "Vous êtes invité·e à rejoindre @{group} sur {instance}",
    invitation: [
        "Vous êtes invité·e à rejoindre @{group} sur {instance}, en tant que {role}.",
        "Pour choisir un nom d'utilisateur et un mot de passe, ouvrez ce lien dans les {days} jour(s). Il ne sert qu'une fois :\n{link}",
        "Si vous ne vous y attendiez pas, ignorez ce message : rien ne se fait sans vous.",
    ],
    roles: ["membre", "organisateur·rice", "administrateur·rice", "responsable"],

    headlines: ["Rappel", "Changement", "Objectif atteint", "Annulé"],
    about_call: [
        "Vous avez dit que vous serez là : {title}.",
        "{title} a changé. Vous avez dit que vous serez là.",
        "{title} a le monde demandé. On compte toujours sur vous.",
        "Annulé : {title}. Inutile de venir.",
    ],
    when: "Quand : {when}",
    place: "Où : {place}",
    call_page: "L'appel, et comment retirer votre engagement si vous ne pouvez pas venir :\n{link}",
    call_why: "L'événement est joint pour votre agenda. Ce rappel vient de {instance} parce que vous vous êtes engagé·e à venir.",
    call_subject: "{headline} : {title}, {when}",
    stop_reminders: "Plus de rappels :",

    more_people: "{n} personnes de plus ont dit qu'elles viendront",
    more_money: "{amount} de plus promis",
    more_actions: "{n} actions de plus promises",
    people_of_goal: "{n} personnes sur {goal}",
    people: "{n} personnes",
    money_of_goal: "{amount} sur {goal}",
    actions: "{n} actions",
    pledges_new: "Nouveaux engagements pour {title} : {since}.",
    pledges_now: "Il compte maintenant {standing}.",
    pledges_page: "Qui s'est engagé figure sur la page de l'appel, pour les organisateurs de chaque section :\n{link}",
    pledges_why: "Ceci vient de {instance} parce que vous organisez la section qui a lancé l'appel.",
    pledges_subject: "Nouveaux engagements : {title}",
    stop_pledges: "Plus d'avis d'engagements :",

    news_daily: "Les nouveautés sur {instance} depuis hier :",
    news_at_once: "Nouveau sur {instance} :",
    news_why: "Ceci vous vient de vos sections, de leurs organisations syndicales et des campagnes que vous suivez.",
    news_daily_subject: "Nouvelles de {instance} : {n} nouveautés",
    news_at_once_subject: "Nouveau sur {instance} : {first}",
    news_call: "{kind} : {title} ({group})",
    news_strike: "En grève : {employer}, {workplace} ({group})",
    stop_news: "Plus de nouvelles par e-mail :",

    action_unanswered: "@{chapter} n'a pas encore répondu à l'action coordonnée « {title} ». Son organisation syndicale a besoin de la réponse avant le {deadline}.",
    action_page: "Répondez, engagez-vous ou déclinez, sur sa page :\n{link}",
    action_why: "Ceci vient de {instance} parce que vous organisez @{chapter}.",
    action_subject: "Répondre avant le {deadline} : {title}",
    stop_organizers: "Plus d'avis pour les organisateurs :",

    call_kinds: ["Piquet de grève", "Dons", "Appels téléphoniques", "Boycott", "Signatures", "Mobilisation", "Appel à la solidarité"],
};
