/*  services/desk/refusal.c - see refusal.h. */
#include "refusal.h"
#include "french.h"

#include "proto/doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *request;         /* NULL: any request */
    const char *code, *field, *rule;
    const char *text;
} s_sentence_t;

/*  The first line that matches wins: specific requests before any. */
static const s_sentence_t s_sentences[] = {
    {"vote", "forbidden", "member", "recused",
     "Vous êtes récusé·e sur ce dossier (un lien avec une partie, un réseau partagé ou votre propre "
     "récusation) : votre vote ne peut pas être compté. Laissez ce dossier aux autres membres."},
    {"vote", "conflict", "round", "stale",
     "Le dossier a changé depuis que vous avez ouvert la page : un nouveau tour a commencé (une révision "
     "déposée par la structure, ou un appel), et votre vote n'a pas été enregistré. Relisez le dossier "
     "tel qu'il est maintenant, puis votez de nouveau."},
    {"recuse", "conflict", "member", "already_voted",
     "Vous avez déjà voté dans ce tour : une récusation doit venir avant le vote. Si un conflit vous "
     "apparaît maintenant, signalez-le à l'équipe de la CRESS."},
    {NULL, "conflict", "member", "already_voted",
     "Vous avez déjà voté dans ce tour, et un vote ne peut pas être changé. Votre premier vote est compté."},
    {NULL, "invalid", "decision", "round_kind",
     "Cette décision n'est pas possible dans ce tour : une réclamation se décide par « Rétablir "
     "l'inscription » ou « Retirer l'inscription », un examen ou un appel par « Approuver », « Refuser » "
     "ou « Demander des modifications ». Choisissez l'un des boutons proposés."},
    {NULL, "invalid", "motivation", "required",
     "Cette décision demande une motivation écrite, que la structure lira : écrivez-la dans le champ "
     "« Motivation », puis votez de nouveau."},
    {NULL, "invalid", "reason", "required",
     "Écrivez le motif dans le champ prévu (il ne peut pas être vide), puis envoyez de nouveau."},
    {NULL, "invalid", "decision", NULL,
     "Ce choix de décision n'existe pas : utilisez l'un des boutons proposés sous le dossier."},
    {"complaint", "conflict", "id", "state",
     "Seule une inscription en cours (approuvée et publiée, ni suspendue, ni retirée, ni expirée) peut "
     "faire l'objet d'une réclamation. Vérifiez l'état du dossier."},
    {NULL, "conflict", "id", "state",
     "Ce dossier n'est plus ouvert : le tour a été décidé ou le dossier retiré. Revenez à la liste pour "
     "voir les dossiers qui attendent encore."},
    {NULL, "conflict", "id", "votes_max",
     "Ce tour a déjà reçu 256 votes, le maximum : prévenez l'équipe technique."},
    {"member_add", "conflict", "name", "unique",
     "Une personne du comité porte déjà ce nom : ajoutez un second prénom ou une initiale pour les "
     "distinguer."},
    {NULL, "invalid", "email", NULL,
     "L'adresse électronique n'est pas valide : écrivez-la sous la forme prenom.nom@exemple.fr, sans "
     "espace, avec un seul « @ »."},
    {"account_invite", "conflict", "name", "unique",
     "Une autre personne du même rôle a déjà un compte à ce nom sur le bureau : ajoutez un second prénom "
     "ou une initiale pour distinguer les deux personnes."},
    {"account_invite", "conflict", "name", "same",
     "Ce compte appartient à une autre personne (un autre nom ou un autre rôle) : rechargez la liste des "
     "personnes et choisissez la bonne ligne."},
    {NULL, "invalid", "ties", "siren",
     "Un lien n'est pas un numéro SIREN (9 chiffres) ni SIRET (14 chiffres) : corrigez-le (les espaces "
     "sont acceptés)."},
    {NULL, "invalid", "networks", "required",
     "Un réseau est vide : retirez la ligne vide ou écrivez le nom du réseau."},
    {NULL, "not_found", "member", "exists",
     "Cette personne ne fait plus partie du comité. Si c'est une erreur, demandez à l'équipe de la CRESS "
     "de l'ajouter de nouveau."},
    {NULL, "not_found", "name", "exists",
     "Cette personne ne fait pas (ou plus) partie du comité : rechargez la liste des personnes."},
    {NULL, "not_found", "id", "exists",
     "Aucun dossier ne porte ce numéro. Vérifiez le numéro, ou revenez à la liste des candidatures."},
    {NULL, "forbidden", "type", "role",
     "Votre compte n'a pas le droit de faire cela : les votes sont réservés aux membres du comité, la "
     "gestion des personnes et des inscriptions à l'équipe de la CRESS."},
    {NULL, "forbidden", "member", "identity",
     "Vous ne pouvez agir qu'en votre propre nom. Reconnectez-vous avec votre propre compte."},
    {NULL, "forbidden", "type", "authentication",
     "Le service a refusé la connexion du bureau : prévenez l'équipe technique."},
    {NULL, "internal", NULL, NULL,
     "Le service n'a pas pu enregistrer la demande et rien n'a été changé : réessayez dans un instant. "
     "Si cela se reproduit, prévenez l'équipe technique."},
};

/*  "ties[2]" matches "ties": array positions do not change the sentence. */
static int s_field_is(const char *field, const char *name)
{
    size_t n = strlen(name);
    return strncmp(field, name, n) == 0 && (field[n] == '\0' || field[n] == '[');
}

const char *refusal_words(const char *request, const char *code, const char *field, const char *rule,
                          char *buf, size_t cap)
{
    request = request ? request : "";
    code = code ? code : "";
    field = field ? field : "";
    rule = rule ? rule : "";
    for (size_t i = 0; i < sizeof s_sentences / sizeof *s_sentences; i++) {
        const s_sentence_t *s = &s_sentences[i];
        if ((s->request && strcmp(s->request, request) != 0) || strcmp(s->code, code) != 0
            || (s->field && !s_field_is(field, s->field)) || (s->rule && strcmp(s->rule, rule) != 0))
            continue;
        if (strncmp(field, "ties[", 5) == 0 || strncmp(field, "networks[", 9) == 0) {
            /* Name the line at fault: people count from 1. */
            const char *open = strchr(field, '[');
            snprintf(buf, cap, "%s (ligne %ld)", s->text, strtol(open + 1, NULL, 10) + 1);
        } else {
            snprintf(buf, cap, "%s", s->text);
        }
        return buf;
    }
    if (strcmp(code, "invalid") == 0)
        snprintf(buf, cap, "La demande a été refusée : le champ « %s » ne respecte pas la règle « %s ». "
                           "Corrigez-le, puis envoyez de nouveau ; rien n'a été changé.", field, rule);
    else
        snprintf(buf, cap, "La demande a été refusée (%s) et rien n'a été changé. Rechargez la page pour "
                           "voir l'état actuel du dossier, puis réessayez.", code);
    return buf;
}

const char *refusal_text(const char *request, const msgpack_object *error, char *buf, size_t cap)
{
    char code[33], field[128], rule[48];
    return refusal_words(request, french_copy(error, "code", code, sizeof code),
                         french_copy(error, "field", field, sizeof field),
                         french_copy(error, "rule", rule, sizeof rule), buf, cap);
}

int refusal_status(const msgpack_object *error)
{
    if (doc_str_eq(error, "code", "forbidden"))
        return 403;
    if (doc_str_eq(error, "code", "not_found"))
        return 404;
    if (doc_str_eq(error, "code", "conflict"))
        return 409;
    if (doc_str_eq(error, "code", "internal"))
        return 503;
    return 422;
}
