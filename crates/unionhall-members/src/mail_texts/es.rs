//! Mail in Spanish.

use super::words::Words;

pub const WORDS: Words = Words {
    lang: "es",
    confirm_subject: "Confirma tu dirección de correo en {instance}",
    confirm: [
        "Alguien (tú, esperamos) pidió a {instance} que envíe a esta dirección el correo de la cuenta {username}.",
        "Para confirmar que es tuya, abre este enlace en las próximas 48 horas:\n{link}",
        "Si no fuiste tú, ignora este correo: no se enviará nada más aquí.",
    ],
    reset_subject: "Cambia tu contraseña en {instance}",
    reset: [
        "Alguien pidió cambiar la contraseña de la cuenta {username} en {instance}.",
        "Para elegir una contraseña nueva, abre este enlace en la próxima hora. Sirve una sola vez:\n{link}",
        "Si no fuiste tú, ignora este correo: tu contraseña sigue igual.",
    ],
    invitation_subject: "Te invitan a @{group} en {instance}",
    invitation: [
        "Te invitan a unirte a @{group} en {instance}, con el papel de {role}.",
        "Para elegir un nombre de usuario y una contraseña, abre este enlace en los próximos {days} día(s). Sirve una sola vez:\n{link}",
        "Si no lo esperabas, ignora este correo: nada ocurre sin ti.",
    ],
    roles: ["miembro", "organizador/a", "administrador/a", "dirigente"],

    headlines: ["Recordatorio", "Cambio", "Meta alcanzada", "Cancelado"],
    about_call: [
        "Dijiste que estarás allí: {title}.",
        "{title} ha cambiado. Dijiste que estarás allí.",
        "{title} ya tiene la gente que pidió. Te siguen esperando.",
        "Cancelado: {title}. No hace falta que vengas.",
    ],
    when: "Cuándo: {when}",
    place: "Dónde: {place}",
    call_page: "La convocatoria, y cómo retirar tu compromiso si no puedes venir:\n{link}",
    call_why: "El evento va adjunto para tu calendario. Este recordatorio viene de {instance} porque te comprometiste a venir.",
    call_subject: "{headline}: {title}, {when}",
    stop_reminders: "No más recordatorios:",

    more_people: "{n} personas más dijeron que vendrán",
    more_money: "{amount} más prometidos",
    more_actions: "{n} acciones más prometidas",
    people_of_goal: "{n} de {goal} personas",
    people: "{n} personas",
    money_of_goal: "{amount} de {goal}",
    actions: "{n} acciones",
    pledges_new: "Nuevos compromisos con {title}: {since}.",
    pledges_now: "Ahora tiene {standing}.",
    pledges_page: "Quién se comprometió está en la página de la convocatoria, para los organizadores de cada sección:\n{link}",
    pledges_why: "Esto viene de {instance} porque organizas la sección que hizo la convocatoria.",
    pledges_subject: "Nuevos compromisos: {title}",
    stop_pledges: "No más avisos de compromisos:",

    news_daily: "Lo nuevo en {instance} desde ayer:",
    news_at_once: "Nuevo en {instance}:",
    news_why: "Esto te llega de tus secciones, sus organismos sindicales y las campañas que sigues.",
    news_daily_subject: "Noticias de {instance}: {n} nuevas",
    news_at_once_subject: "Nuevo en {instance}: {first}",
    news_call: "{kind}: {title} ({group})",
    news_strike: "En huelga: {employer}, {workplace} ({group})",
    stop_news: "No más noticias por correo:",

    action_unanswered: "@{chapter} aún no ha respondido a la acción coordinada «{title}». Su organismo sindical necesita la respuesta antes del {deadline}.",
    action_page: "Responde, comprométete o declina, en su página:\n{link}",
    action_why: "Esto viene de {instance} porque organizas @{chapter}.",
    action_subject: "Responder antes del {deadline}: {title}",
    stop_organizers: "No más avisos para organizadores:",

    call_kinds: ["Piquete", "Donaciones", "Llamadas", "Boicot", "Firmas", "Movilización", "Llamado de apoyo"],
};
