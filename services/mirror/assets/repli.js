/* Le repli du texte pour la recherche, le même que celui du service de
   publication (proto/text.h) : la table ESSP.repli, générée depuis
   proto/text.c, dit ce que devient chaque caractère (une lettre sans
   accent, en minuscule, ou une espace) ; un caractère absent de la table
   reste tel quel ; chaque suite d'espaces devient une espace, aucune aux
   bouts.  « ecole » trouve « École », « yvonne » trouve « Ÿvonne ». */
function replier(texte) {
  'use strict';
  var table = ESSP.repli;
  var sortie = '';
  for (var i = 0; i < texte.length; i++) {
    var c = texte.charAt(i);
    sortie += Object.prototype.hasOwnProperty.call(table, c) ? table[c] : c;
  }
  return sortie.replace(/ +/g, ' ').replace(/^ | $/g, '');
}
