package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/staff"
)

// Generating fictitious clients in bulk, for `caseward demo --clients N`
// and for benchmarks at a realistic scale. Every client goes through
// casework.CreateClient and the gate, exactly as one typed into a form
// would (sealed under their own key, audited, indexed for search), so what
// a benchmark measures afterwards is what an installation would hold.

// A culture is a set of names people in one community might have, in the
// spellings a UK caseworker is likely to type, with the variants that
// transliteration produces.
type culture struct {
	given, family []string
	weight        int // how often clients come from it, relative to the others
}

// cultures are the communities UK charities commonly serve. Every name is
// real as a name; every person made from them is invented.
var cultures = []culture{
	{weight: 10, // English, Welsh, Scottish, Irish
		given:  []string{"Emma", "Olivia", "Sophie", "Charlotte", "Jessica", "Hannah", "Siobhán", "Aoife", "Ciara", "Megan", "Rhiannon", "Catherine", "Katherine", "Sarah", "Sara", "Jack", "Thomas", "James", "Oliver", "Harry", "Connor", "Liam", "Rhys", "Owen", "Callum", "Daniel", "Michael", "Stephen", "Steven", "Jon", "John"},
		family: []string{"Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Roberts", "Murphy", "O'Brien", "Kelly", "Byrne", "Gallagher", "MacDonald", "Campbell", "Stewart", "Hughes", "Edwards", "Walsh", "McCarthy"}},
	{weight: 5, // Arabic: Syria, Iraq, Sudan, Yemen, Egypt, Morocco
		given:  []string{"Mohammed", "Muhammad", "Mohamed", "Mohammad", "Ahmed", "Ahmad", "Omar", "Umar", "Ali", "Hussein", "Husain", "Hassan", "Youssef", "Yusuf", "Khalid", "Khaled", "Ibrahim", "Abdullah", "Mahmoud", "Fatima", "Fatimah", "Aisha", "Ayesha", "Mariam", "Maryam", "Nour", "Noor", "Layla", "Leila", "Amira", "Jamila", "Jameela", "Khadija", "Zainab", "Samira", "Rania", "Huda"},
		family: []string{"Al-Hassan", "Haddad", "Khalil", "Ibrahim", "Mansour", "Nasser", "Saleh", "Hamdan", "Darwish", "Aziz", "Abdallah", "Mustafa", "Othman", "Osman", "Suleiman", "Farouk", "Hamid", "Rahman", "Qasim", "Kassim", "Bakr", "Yousef", "El-Amin"}},
	{weight: 6, // Pakistani, Bangladeshi
		given:  []string{"Muhammad", "Imran", "Bilal", "Usman", "Asif", "Tariq", "Zahid", "Shahid", "Faisal", "Kamran", "Rahim", "Karim", "Nasreen", "Nasrin", "Ayesha", "Sadia", "Shabnam", "Farzana", "Rukhsana", "Nusrat", "Shirin", "Tahmina", "Rubina", "Sabina", "Jamal", "Abdul"},
		family: []string{"Khan", "Ahmed", "Hussain", "Ali", "Shah", "Begum", "Akhtar", "Iqbal", "Rashid", "Malik", "Chowdhury", "Miah", "Uddin", "Islam", "Rahman", "Mahmood", "Butt", "Qureshi", "Siddiqui", "Bibi"}},
	{weight: 4, // Indian: Punjabi, Gujarati, Tamil
		given:  []string{"Priya", "Anjali", "Deepa", "Sunita", "Kiran", "Harpreet", "Gurpreet", "Manpreet", "Jaspreet", "Sukhwinder", "Ravi", "Amit", "Sanjay", "Vijay", "Arjun", "Rohan", "Rajesh", "Suresh", "Lakshmi", "Meena", "Kavitha", "Divya"},
		family: []string{"Patel", "Singh", "Kaur", "Sharma", "Gupta", "Kumar", "Shah", "Mehta", "Desai", "Joshi", "Gill", "Sandhu", "Sidhu", "Dhillon", "Raman", "Krishnan", "Subramanian", "Nair", "Pillai"}},
	{weight: 3, // Somali
		given:  []string{"Abdi", "Abdirahman", "Abdullahi", "Mohamud", "Mohamed", "Ahmed", "Hassan", "Farah", "Yusuf", "Hodan", "Hawa", "Fadumo", "Amina", "Ayan", "Sahra", "Ifrah", "Hibo", "Nasra", "Ubah", "Khadra"},
		family: []string{"Abdi", "Ali", "Hassan", "Mohamed", "Omar", "Warsame", "Farah", "Jama", "Ismail", "Aden", "Egal", "Elmi", "Guled", "Hersi", "Nur", "Osman", "Samatar", "Yusuf"}},
	{weight: 2, // Eritrean, Ethiopian (Tigrinya, Amharic)
		given:  []string{"Tesfaye", "Yohannes", "Dawit", "Daniel", "Samuel", "Haile", "Mekonnen", "Berhane", "Filmon", "Senait", "Selam", "Helen", "Mebrat", "Tsega", "Ruth", "Meron", "Hiwet", "Abeba", "Rahel", "Yonas", "ዮሃንስ", "ሰላም"},
		family: []string{"Tesfaye", "Gebremedhin", "Haile", "Berhe", "Kidane", "Tekle", "Ghebreyesus", "Mengistu", "Alemu", "Bekele", "Girma", "Woldemariam", "Asfaw", "Mekonnen", "Habte", "Tsegay"}},
	{weight: 3, // Kurdish, Persian, Afghan
		given:  []string{"Dilan", "Rojda", "Shilan", "Zhilwan", "Baran", "Rebin", "Karwan", "Hawre", "Soran", "Nasrin", "Shirin", "Parisa", "Maryam", "Zahra", "Fatemeh", "Reza", "Hossein", "Hussein", "Mehdi", "Ahmad", "Farid", "Habib", "Gholam", "Ghulam", "Zarmina", "Mursal", "Wahid", "Walid"},
		family: []string{"Rashid", "Karimi", "Ahmadi", "Mohammadi", "Hosseini", "Rezaei", "Jafari", "Sadeghi", "Rahimi", "Amiri", "Hakimi", "Barzani", "Talabani", "Mustafa", "Aziz", "Popal", "Stanekzai", "Wardak", "Noori", "Sultani", "حسینی"}},
	{weight: 4, // Polish, Romanian, Lithuanian
		given:  []string{"Zofia", "Zuzanna", "Julia", "Katarzyna", "Agnieszka", "Małgorzata", "Anna", "Ewa", "Joanna", "Piotr", "Paweł", "Tomasz", "Krzysztof", "Wojciech", "Andrei", "Ionuț", "Mihai", "Ioana", "Elena", "Maria", "Andreea", "Jonas", "Rūta", "Tomas"},
		family: []string{"Kowalczyk", "Kowalski", "Nowak", "Wiśniewski", "Wójcik", "Lewandowski", "Zieliński", "Szymański", "Popescu", "Ionescu", "Popa", "Dumitru", "Stan", "Kazlauskas", "Jankauskas", "Petrauskas"}},
	{weight: 2, // Ukrainian, Russian, Central Asian
		given:  []string{"Oleksandr", "Aleksandr", "Alexander", "Olena", "Olha", "Iryna", "Natalia", "Tetiana", "Yulia", "Dmytro", "Andriy", "Serhiy", "Mykola", "Svitlana", "Anastasia", "Mikhail", "Ivan", "Олександр", "Олена", "Ірина"},
		family: []string{"Shevchenko", "Kovalenko", "Bondarenko", "Tkachenko", "Kravchenko", "Melnyk", "Boyko", "Petrenko", "Ivanova", "Petrov", "Karimov", "Rakhimov", "Шевченко", "Коваленко"}},
	{weight: 3, // West African, Caribbean
		given:  []string{"Chidi", "Chinedu", "Ngozi", "Adaeze", "Oluwaseun", "Tunde", "Funmilayo", "Kwame", "Kofi", "Ama", "Akosua", "Abena", "Emeka", "Ifeoma", "Blessing", "Precious", "Marcus", "Tyrone", "Shanice", "Kemar", "Jermaine", "Aaliyah"},
		family: []string{"Okafor", "Okonkwo", "Adeyemi", "Adebayo", "Oluwole", "Mensah", "Owusu", "Boateng", "Asante", "Nwosu", "Eze", "Campbell", "Brown", "Thompson", "Francis", "Clarke", "Richards", "Grant"}},
	{weight: 2, // Chinese, Vietnamese, Korean
		given:  []string{"Wei", "Li", "Mei", "Xiaoming", "Jing", "Hui", "Yan", "Ling", "Minh", "Thi", "Lan", "Hoa", "Tuan", "Thanh", "Ji-woo", "Min-jun", "Seo-yeon", "小明", "美玲"},
		family: []string{"Wang", "Li", "Zhang", "Liu", "Chen", "Chan", "Wong", "Nguyen", "Tran", "Le", "Pham", "Kim", "Lee", "Park", "王", "李", "김"}},
	{weight: 2, // Turkish, Albanian, Greek
		given:  []string{"Mehmet", "Mustafa", "Emre", "Elif", "Zeynep", "Ayşe", "Fatma", "Arben", "Blerina", "Besnik", "Dritan", "Eleni", "Georgios", "Dimitris", "Maria", "Konstantinos"},
		family: []string{"Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Hoxha", "Berisha", "Krasniqi", "Gashi", "Papadopoulos", "Georgiou", "Nikolaidis"}},
	{weight: 2, // Portuguese, Spanish, Latin American
		given:  []string{"María José", "José", "Ana", "Joana", "João", "Lucía", "Carmen", "Alejandro", "Diego", "Gabriela", "Camila", "Mateus", "Thiago"},
		family: []string{"García-López", "Rodríguez", "Fernández", "Silva", "Santos", "Oliveira", "Pereira", "Costa", "Martínez", "Gómez", "Ferreira", "Souza"}},
}

var cultureTotal = func() int {
	n := 0
	for _, c := range cultures {
		n += c.weight
	}
	return n
}()

// dramaPhones are the ranges Ofcom keeps for fiction: no one answers them.
var dramaPhones = []string{"07700 900", "01632 960", "020 7946 0", "0113 496 0", "0117 496 0", "0121 496 0", "0131 496 0", "0141 496 0", "0151 496 0", "0161 496 0", "0191 498 0"}

// FictitiousClient returns the i-th client of the fictitious population
// seeded by seed: always the same for the same seed and i, so that a
// benchmark can look for people it knows are there. Names come from many
// cultures, sometimes with a preferred or previous name; about two in
// three have a phone number.
func FictitiousClient(seed uint64, i int) casework.ClientInput {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	pick := func(ss []string) string { return ss[r.IntN(len(ss))] }
	w := r.IntN(cultureTotal)
	c := cultures[0]
	for _, cc := range cultures {
		if w < cc.weight {
			c = cc
			break
		}
		w -= cc.weight
	}
	in := casework.ClientInput{GivenName: pick(c.given), FamilyName: pick(c.family)}
	if r.IntN(6) == 0 {
		in.GivenName += " " + pick(c.given) // a middle name
	}
	if r.IntN(10) == 0 {
		in.PreferredName = pick(c.given)
	}
	if r.IntN(12) == 0 {
		in.PreviousNames = []string{pick(c.family)}
	}
	// Ages 5 to 90 on 2026-01-01, the demo's fixed moment.
	born := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(-5, 0, -r.IntN(85*365))
	in.DateOfBirth = born.Format(casework.DateLayout)
	if r.IntN(3) > 0 {
		prefix := pick(dramaPhones) // each range holds 1,000 numbers
		in.Contact = &casework.Contact{Phones: []casework.Phone{{Label: "Mobile", Number: fmt.Sprintf("%s%03d", prefix, r.IntN(1000))}}}
	}
	return in
}

// Creator is a member of staff who records clients in a service.
type Creator struct {
	Actor     access.Actor
	ServiceID string
}

// Org is an organisation made for a benchmark or a large demo: services,
// each with a manager and caseworkers.
type Org struct {
	Services []staff.Service
	Managers []staff.User   // one per service, in the order of Services
	Workers  [][]staff.User // the caseworkers of each service
}

// Creators lists every caseworker as a Creator in their service.
func (o Org) Creators() []Creator {
	var out []Creator
	for i, ws := range o.Workers {
		for _, w := range ws {
			out = append(out, Creator{Actor: w.Actor(), ServiceID: o.Services[i].ID})
		}
	}
	return out
}

// AddOrg adds services named "Service 1", "Service 2" … (the first prefix
// given names them instead, when not empty), each with a manager and
// workers caseworkers. Accounts are named after the service and their
// place in it; their password is OrgPassword(e-mail).
func AddOrg(ctx context.Context, a *app.App, prefix string, services, workers int) (Org, error) {
	if prefix == "" {
		prefix = "Service"
	}
	var org Org
	for s := 1; s <= services; s++ {
		svc, err := a.Staff.AddService(ctx, fmt.Sprintf("%s %d", prefix, s), s%4 == 0) // every fourth shares its caseload
		if err != nil {
			return org, err
		}
		org.Services = append(org.Services, svc)
		add := func(role access.Role, n int) (staff.User, error) {
			email := fmt.Sprintf("%s-%d-%s-%d@demo.caseward.invalid", prefixSlug(prefix), s, role, n)
			u, _, err := a.Staff.AddUser(ctx, staff.NewUser{Email: email, Name: fmt.Sprintf("%s %d %s %d", prefix, s, staff.RoleName(role), n), Role: role, Services: []string{svc.ID}, Password: OrgPassword(email)})
			return u, err
		}
		m, err := add(access.Manager, 1)
		if err != nil {
			return org, err
		}
		org.Managers = append(org.Managers, m)
		var ws []staff.User
		for n := 1; n <= workers; n++ {
			u, err := add(access.Caseworker, n)
			if err != nil {
				return org, err
			}
			ws = append(ws, u)
		}
		org.Workers = append(org.Workers, ws)
	}
	return org, nil
}

// OrgPassword is the password AddOrg gives the account with e-mail email.
func OrgPassword(email string) string { return "demo " + email + " walks the caseward path" }

func prefixSlug(s string) string {
	b := []byte{}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b = append(b, byte(r))
		case r >= 'A' && r <= 'Z':
			b = append(b, byte(r-'A'+'a'))
		}
	}
	if len(b) == 0 {
		return "org"
	}
	return string(b)
}

// AddClientsOptions tunes AddClients.
type AddClientsOptions struct {
	Seed uint64 // of the fictitious population (FictitiousClient)
	// First is the index of the first client to add, so that a
	// population can be grown in steps (10,000, then 90,000 more).
	First int
	// Parallel is how many clients are recorded at once: 0 means 4.
	// SQLite has one writer, so more than 2 gains little there;
	// PostgreSQL commits several at once.
	Parallel int
	// Progress, if set, is called after every 1,000 clients with the
	// number added so far, from any of the goroutines adding them.
	Progress func(done int)
	// Work is the work made up around each client (FictitiousWork): none
	// by default, so that a benchmark's clients cost only themselves.
	Work WorkOptions
	// Now is the clock of cw, around which the work is arranged; nil
	// means time.Now.
	Now func() time.Time
}

// AddClients records n fictitious clients (FictitiousClient(Seed,
// First…First+n-1)), the i-th by creators[i % len(creators)], each through
// casework.CreateClient: sealed, audited, indexed and given a first case,
// as if typed in; then the work around each (AddWork), and counts it. It
// stops at the first error.
func AddClients(ctx context.Context, cw *casework.Casework, creators []Creator, n int, opts AddClientsOptions) (WorkCount, error) {
	var total WorkCount
	if len(creators) == 0 {
		return total, errors.New("add clients: nobody to record them")
	}
	par := opts.Parallel
	if par <= 0 {
		par = 4
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	// One moment for all, so that the same seed gives the same work on the
	// same day however long the load takes.
	start := now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next, done atomic.Int64
		once       sync.Once
		firstErr   error
		wg         sync.WaitGroup
		mu         sync.Mutex
	)
	for range par {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				k := opts.First + i
				in := FictitiousClient(opts.Seed, k)
				c := creators[k%len(creators)]
				in.ServiceID = c.ServiceID
				id, err := cw.CreateClient(ctx, c.Actor, in)
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("add client %d: %w", k, err); cancel() })
					return
				}
				if !opts.Work.none() {
					got, err := AddWork(ctx, cw, c, id, FictitiousWork(opts.Seed, k, opts.Work, start))
					mu.Lock()
					total.add(got)
					mu.Unlock()
					if err != nil {
						once.Do(func() { firstErr = fmt.Errorf("work of client %d: %w", k, err); cancel() })
						return
					}
				}
				if d := done.Add(1); opts.Progress != nil && d%1000 == 0 {
					opts.Progress(int(d))
				}
			}
		})
	}
	wg.Wait()
	return total, firstErr
}
